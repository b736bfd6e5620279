// The Dockerfile: pinned Node 20 base, `npm ci`, tsx as the repository runs it, a non-root user,
// and every file the four entry points load (transitively) copied into the image.
import { expect } from 'chai';
import { dockerfileBases, importClosure, npmEntry, read } from './support';

interface Instr { op: string; args: string; stage: number }

/** The Dockerfile's instructions (continuation lines joined, comments dropped), by stage. */
function instructions(text: string): Instr[] {
  const out: Instr[] = [];
  let stage = -1;
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2]!, stage });
  }
  return out;
}

const dockerfile = read('Dockerfile');
const all = instructions(dockerfile);
const finalStage = Math.max(...all.map((i) => i.stage));
const final = all.filter((i) => i.stage === finalStage);

describe('Dockerfile', () => {
  it('is multi-stage on a pinned Node 20 image, installing with npm ci from the lock file', () => {
    const bases = dockerfileBases('Dockerfile');
    expect(new Set(all.filter((i) => i.op === 'FROM').map((i) => i.stage)).size).to.be.greaterThan(1);
    for (const b of bases) expect(b.image).to.match(/^node:20\.\d+\.\d+-bookworm(-slim)?$/);
    const runs = all.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), 'production dependencies by npm ci --omit=dev').to.equal(true);
    expect(runs.some((r) => /\bnpm install\b/.test(r)), 'npm install would ignore the lock file').to.equal(false);
    expect(all.some((i) => i.op === 'COPY' && /package-lock\.json/.test(i.args))).to.equal(true);
  });

  it('runs as a non-root user (numeric, so Kubernetes can verify runAsNonRoot)', () => {
    const users = final.filter((i) => i.op === 'USER');
    expect(users, 'USER in the final stage').to.have.length.greaterThan(0);
    const user = users[users.length - 1]!.args.trim();
    expect(user).to.match(/^\d+(:\d+)?$/);
    expect(user.split(':')[0]).to.not.equal('0');
    // USER comes after the last RUN/COPY of the final stage that could need root.
    const lastUser = final.lastIndexOf(users[users.length - 1]!);
    expect(final.slice(lastUser).some((i) => i.op === 'RUN')).to.equal(false);
  });

  it('starts TypeScript with tsx in one node process; the command picks the entry point', () => {
    const entrypoint = final.find((i) => i.op === 'ENTRYPOINT');
    expect(JSON.parse(entrypoint!.args)).to.deep.equal(['node', '--import', 'tsx']);
    const cmd = JSON.parse(final.find((i) => i.op === 'CMD')!.args) as string[];
    expect(cmd).to.deep.equal([npmEntry('api')]);
  });

  it('copies tsx and its whole dependency closure (package-lock.json) into the runtime stage', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; os?: string[] }> };
    const topLevel = new Set<string>();
    const visit = (name: string, seen = new Set<string>()): void => {
      const key = `node_modules/${name}`;
      const p = lock.packages[key];
      if (!p || seen.has(key)) return;
      seen.add(key);
      if (p.os && !p.os.includes('linux')) return; // other platforms' binaries
      topLevel.add(name.startsWith('@') ? name.split('/')[0]! : name);
      for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) visit(d, seen);
    };
    visit('tsx');
    expect(topLevel).to.include('tsx');
    const copied = final.filter((i) => i.op === 'COPY' && /--from=/.test(i.args)).map((i) => i.args);
    for (const dir of topLevel) {
      expect(copied.some((c) => c.includes(`/node_modules/${dir} `) || c.endsWith(`/node_modules/${dir}`)), `COPY --from=… node_modules/${dir}`).to.equal(true);
    }
  });

  it('copies every folder the four entry points load, transitively', () => {
    const entries = ['worker', 'api', 'ingest', 'migrate'].map(npmEntry);
    const files = importClosure(entries);
    expect(files.size).to.be.greaterThan(30);
    const folders = new Set([...files].map((f) => f.split('/')[0]!).filter((f) => !f.includes('.')));
    // Data read at run time beside the code.
    expect(folders).to.include.members(['db', 'api', 'workflows', 'iot-ingest', 'config', 'platform']);
    const copies = final.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args)).map((i) => i.args.split(/\s+/));
    for (const folder of folders) {
      expect(copies.some((c) => c.slice(0, -1).includes(folder)), `COPY ${folder}`).to.equal(true);
    }
    for (const f of ['package.json', 'tsconfig.json']) expect(copies.some((c) => c.includes(f)), `COPY ${f}`).to.equal(true);
  });

  it('.dockerignore keeps node_modules, .git and .env files out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).to.include.members(['node_modules', '.git', '.env']);
    // Nothing the image copies is ignored.
    const copied = final.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args)).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const c of copied) expect(ignored, c).to.not.include(c.replace(/^\.\//, ''));
  });
});
