// Where a process's CPU went, from a V8 .cpuprofile (node --cpu-prof): self time per frame and
// per group (npm package, our top-level folder, node internals, V8's pseudo-frames). Pure: the
// caller reads the file. `npx tsx bench/lib/cpuprofile.ts FILE…` prints a summary per file.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

/** Self time of a group or a frame, in ms and as a share of the busy (non-idle) time. */
export interface Share {
  ms: number;
  share: number;
}
export interface ProfileSummary {
  busyMs: number;
  groups: (Share & { group: string })[];
  frames: (Share & { frame: string; group: string })[];
}

// Not work: the thread waiting, or the profiler's own bookkeeping.
const IDLE = new Set(['(idle)', '(root)', '(program)']);

/** The group a frame belongs to: an npm package, our top-level folder (two levels for domain/), node internals, or V8's own. */
export function groupOf(url: string, functionName: string, repoRoot: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'native';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  const rel = path.startsWith(`${repoRoot}/`) ? path.slice(repoRoot.length + 1) : path;
  const parts = rel.split('/');
  if (parts.length === 1) return rel;
  return parts[0] === 'domain' && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  return i >= 0 ? url.slice(i + 'node_modules/'.length) : url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '');
}

const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const asNumber = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

/** Summarize one profile; anything malformed counts for nothing rather than failing. */
export function summarizeProfile(profile: unknown, repoRoot: string, topFrames = 25): ProfileSummary {
  const p = (profile && typeof profile === 'object' ? profile : {}) as Record<string, unknown>;
  const nodes = new Map<number, ProfileNode>();
  for (const n of asArray(p.nodes)) {
    const node = n as Partial<ProfileNode> | null;
    if (
      !node ||
      typeof node !== 'object' ||
      typeof node.id !== 'number' ||
      !node.callFrame ||
      typeof node.callFrame !== 'object'
    )
      continue;
    const cf = node.callFrame;
    nodes.set(node.id, {
      id: node.id,
      callFrame: {
        functionName: String(cf.functionName ?? ''),
        url: String(cf.url ?? ''),
        lineNumber: asNumber(cf.lineNumber),
      },
    });
  }
  const samples = asArray(p.samples);
  const deltas = asArray(p.timeDeltas);
  const byFrame = new Map<string, { ms: number; group: string }>();
  let busyUs = 0;
  samples.forEach((id, i) => {
    const node = typeof id === 'number' ? nodes.get(id) : undefined;
    const us = Math.max(0, asNumber(deltas[i]));
    if (!node || IDLE.has(node.callFrame.functionName)) return;
    busyUs += us;
    const { functionName, url } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${shortUrl(url)}`.trim();
    const entry = byFrame.get(key) ?? { ms: 0, group: groupOf(url, functionName, repoRoot) };
    entry.ms += us / 1000;
    byFrame.set(key, entry);
  });
  const busyMs = busyUs / 1000;
  const share = (ms: number) => (busyMs > 0 ? Math.round((ms / busyMs) * 1000) / 1000 : 0);
  const byGroup = new Map<string, number>();
  for (const f of byFrame.values()) byGroup.set(f.group, (byGroup.get(f.group) ?? 0) + f.ms);
  return {
    busyMs: Math.round(busyMs),
    groups: [...byGroup]
      .sort((a, b) => b[1] - a[1])
      .map(([group, ms]) => ({ group, ms: Math.round(ms), share: share(ms) })),
    frames: [...byFrame]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, topFrames)
      .map(([frame, f]) => ({ frame, group: f.group, ms: Math.round(f.ms), share: share(f.ms) })),
  };
}

if (require.main === module) {
  const root = process.cwd();
  for (const file of process.argv.slice(2)) {
    const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), root);
    console.log(`# ${file}: ${s.busyMs} ms busy`);
    for (const g of s.groups.slice(0, 15))
      console.log(`  group ${(g.share * 100).toFixed(1).padStart(5)} %  ${g.ms} ms  ${g.group}`);
    for (const f of s.frames)
      console.log(`  frame ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.ms} ms  ${f.frame}  [${f.group}]`);
  }
}
