// Shared readers for the deploy tests: the compose file with its interpolation, the Kubernetes
// manifests that kustomize would apply, the environment names the code reads, the secrets the
// production profile demands. Everything is read from the repository, nothing is hard-coded
// that the code itself can tell.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { envSchema } from '../../../config/schema';
import { loadConfig } from '../../../config';

export const ROOT = resolve(__dirname, '../../..');
export const COMPOSE_DIR = 'deploy/compose';
export const K8S_DIR = 'deploy/k8s';

export const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');
export const exists = (rel: string): boolean => existsSync(join(ROOT, rel));

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(v)}`);
  return v;
}
export function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}
export function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}
/** A nested value by path, or undefined. */
export function dig(v: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = v;
  for (const p of path) {
    if (typeof p === 'number') cur = Array.isArray(cur) ? cur[p] : undefined;
    else cur = isObj(cur) ? cur[p] : undefined;
  }
  return cur;
}

/** Files below a folder (recursively), relative to the repository root. */
export function filesUnder(rel: string, filter: (name: string) => boolean = () => true): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const p = join(dir, name);
      if (statSync(join(ROOT, p)).isDirectory()) walk(p);
      else if (filter(name)) out.push(p);
    }
  };
  walk(rel);
  return out;
}
export const isYamlName = (name: string): boolean => /\.ya?ml$/.test(name);

/** Every document of a YAML file (merge keys on, as compose has them); throws on any error. */
export function yamlDocs(rel: string): unknown[] {
  const docs = parseAllDocuments(read(rel), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const d of list) {
    if (d.errors.length) throw new Error(`${rel}: ${d.errors.map((e) => e.message).join('; ')}`);
    const js: unknown = d.toJS({ maxAliasCount: 1000 });
    if (js !== null && js !== undefined) out.push(js);
  }
  return out;
}
export const yamlDoc = (rel: string): unknown => parse(read(rel), { merge: true, maxAliasCount: 1000 });

// ------------------------------------------------------------------ compose interpolation

/** A `${...}` reference in a compose value. */
export interface ComposeVar {
  name: string;
  op: '' | ':-' | '-' | ':?' | '?';
  arg: string;
  raw: string;
}

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)([^}]*))?\}/g;

/** The `${...}` references of a string ($$ is a literal dollar, not a reference). */
export function composeVars(value: string): ComposeVar[] {
  const s = value.replace(/\$\$/g, '');
  return [...s.matchAll(VAR_RE)].map((m) => ({
    name: m[1]!,
    op: (m[2] ?? '') as ComposeVar['op'],
    arg: m[3] ?? '',
    raw: m[0],
  }));
}

/** Compose's interpolation: ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, $$. Unset required → throws. */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  const parts = value.split('$$');
  return parts
    .map((part) =>
      part.replace(VAR_RE, (_all, name: string, op: string | undefined, arg: string | undefined) => {
        const v = env[name];
        switch (op) {
          case ':-':
            return v ? v : (arg ?? '');
          case '-':
            return v ?? arg ?? '';
          case ':?':
            if (!v) throw new Error(`required variable ${name} is empty: ${arg}`);
            return v;
          case '?':
            if (v === undefined) throw new Error(`required variable ${name} is unset: ${arg}`);
            return v;
          default:
            return v ?? '';
        }
      }),
    )
    .join('$');
}

export const COMPOSE_FILE = `${COMPOSE_DIR}/docker-compose.yml`;
export const compose = (): Obj => obj(yamlDoc(COMPOSE_FILE), COMPOSE_FILE);
export const composeServices = (): Record<string, Obj> => {
  const services = obj(compose().services, 'services');
  return Object.fromEntries(Object.entries(services).map(([k, v]) => [k, obj(v, `service ${k}`)]));
};
/** Our own services: the ones built from the repository's Dockerfile. */
export const isAppService = (s: Obj): boolean => s.build !== undefined;

/** A service's environment as a name → raw value map (list or mapping form). */
export function composeEnv(s: Obj): Record<string, string> {
  const env = s.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const [k, ...v] = str(e, 'environment entry').split('=');
        return [k!, v.join('=')];
      }),
    );
  }
  return Object.fromEntries(Object.entries(obj(env, 'environment')).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Services another one waits for with `service_completed_successfully`: the one-shots. */
export function composeOneShots(services: Record<string, Obj>): Set<string> {
  const out = new Set<string>();
  for (const s of Object.values(services)) {
    const deps = s.depends_on;
    if (isObj(deps))
      for (const [name, d] of Object.entries(deps))
        if (dig(d, 'condition') === 'service_completed_successfully') out.add(name);
  }
  return out;
}

// ------------------------------------------------------------------ Kubernetes

export interface K8sResource {
  file: string;
  kind: string;
  name: string;
  doc: Obj;
}

/** The resources `kubectl apply -k deploy/k8s` applies (generated ConfigMaps aside). */
export function k8sResources(dir = K8S_DIR): K8sResource[] {
  const kust = obj(yamlDoc(`${dir}/kustomization.yaml`), 'kustomization');
  const out: K8sResource[] = [];
  for (const r of arr(kust.resources, 'resources')) {
    const rel = `${dir}/${str(r, 'resource')}`;
    for (const d of yamlDocs(rel)) {
      const doc = obj(d, rel);
      out.push({
        file: rel,
        kind: str(doc.kind, `${rel} kind`),
        name: str(dig(doc, 'metadata', 'name'), `${rel} name`),
        doc,
      });
    }
  }
  return out;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

/** The pod spec of a workload. */
export function podSpec(r: K8sResource): Obj {
  const tpl =
    r.kind === 'CronJob' ? dig(r.doc, 'spec', 'jobTemplate', 'spec', 'template') : dig(r.doc, 'spec', 'template');
  return obj(dig(tpl, 'spec'), `${r.kind}/${r.name} pod spec`);
}
export const podLabels = (r: K8sResource): Obj =>
  obj(dig(r.doc, 'spec', 'template', 'metadata', 'labels'), `${r.kind}/${r.name} pod labels`);
export const containers = (spec: Obj, key: 'containers' | 'initContainers' = 'containers'): Obj[] =>
  spec[key] === undefined ? [] : arr(spec[key], key).map((c) => obj(c, 'container'));

/** The placeholder name our own image has in the manifests; kustomization.yaml's images: sets it. */
export const APP_IMAGE = 'freshchain-app';

// ------------------------------------------------------------------ images

export interface ImageRef {
  repo: string;
  tag?: string;
  digest?: string;
}
export function parseImage(ref: string): ImageRef {
  const [nameTag, digest] = ref.split('@') as [string, string | undefined];
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  if (colon > slash)
    return { repo: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1), ...(digest ? { digest } : {}) };
  return { repo: nameTag, ...(digest ? { digest } : {}) };
}
/** Pinned: a digest, or an explicit tag that is not `latest` (nor empty or a variable). */
export function isPinned(ref: string): boolean {
  const img = parseImage(ref);
  if (img.digest) return /^sha256:[0-9a-f]{64}$/.test(img.digest);
  return !!img.tag && img.tag !== 'latest' && !/[${}]/.test(img.tag);
}

/** The FROM images of a Dockerfile, with ARG defaults declared before the first FROM applied. */
export function dockerfileBases(rel: string): { image: string; stage?: string }[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const out: { image: string; stage?: string }[] = [];
  for (const raw of read(rel).split('\n')) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)/.exec(line);
    if (arg && out.length === 0) args[arg[1]!] = arg[2]!;
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const image = from[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, n: string) => args[n] ?? `\${${n}}`);
      if (!stages.has(image)) out.push({ image, ...(from[2] ? { stage: from[2] } : {}) });
      if (from[2]) stages.add(from[2]);
    }
  }
  return out;
}

// ------------------------------------------------------------------ what the code reads

/** The folders of the code our images run (not tests, benches or scripts). */
export const SERVICE_DIRS = [
  'config',
  'platform',
  'domain',
  'db',
  'api',
  'workflows',
  'activities',
  'iot-ingest',
  'coldchain',
  'forecasting',
];

/**
 * Every environment variable the services may read: envSchema's keys, plus each name the code
 * reads directly (process.env.X, process.env['X'], env.X on a ProcessEnv parameter, and the
 * string literals of a file that indexes process.env with a computed key, e.g. num('X')).
 */
export function knownEnvNames(): { all: Set<string>; schema: Set<string>; direct: Map<string, string> } {
  const schema = new Set(Object.keys(envSchema.shape));
  const direct = new Map<string, string>();
  const add = (name: string, file: string): void => void (direct.has(name) || direct.set(name, file));
  for (const dir of SERVICE_DIRS) {
    for (const file of filesUnder(dir, (n) => n.endsWith('.ts'))) {
      const src = read(file);
      for (const m of src.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) add(m[1]!, file);
      for (const m of src.matchAll(/process\.env\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g)) add(m[1]!, file);
      if (/NodeJS\.ProcessEnv/.test(src)) for (const m of src.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) add(m[1]!, file);
      if (/process\.env\[\s*[^'"`\s]/.test(src))
        for (const m of src.matchAll(/['"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"`]/g)) add(m[1]!, file);
    }
  }
  return { all: new Set([...schema, ...direct.keys()]), schema, direct };
}

/** The variables config/index.ts refuses to start without in production, from its own error. */
export function productionSecrets(): string[] {
  let message = '';
  try {
    loadConfig({ FRESHCHAIN_PROFILE: 'production' });
  } catch (err) {
    message = (err as Error).message;
  }
  const list = /needs these set in the environment:(.*)$/s.exec(message)?.[1];
  if (!list) throw new Error(`loadConfig did not name its missing production secrets: ${message}`);
  return list
    .split(',')
    .map((s) => s.trim().split(/\s/)[0]!)
    .filter(Boolean);
}

/** A value that satisfies config/schema.ts for a secret of that name (tests only). */
export function dummySecret(name: string): string {
  if (/KEY$/.test(name)) return Buffer.alloc(32, 7).toString('base64');
  return `test-${name.toLowerCase().replace(/_/g, '-')}-0123456789abcdef0123456789`;
}

/** The entry file of an npm script that runs `tsx FILE`. */
export function npmEntry(script: string): string {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  const cmd = pkg.scripts[script];
  const m = cmd ? /^tsx\s+(\S+\.ts)$/.exec(cmd.trim()) : null;
  if (!m) throw new Error(`npm script ${script} is not "tsx FILE.ts": ${cmd}`);
  return m[1]!;
}

/** What the image runs for an npm script's entry: its compiled file under dist/ (`npm run build`). */
export function compiledEntry(script: string): string {
  return `dist/${npmEntry(script).replace(/\.ts$/, '.js')}`;
}

/** Relative module imports of a TypeScript file, resolved to repository paths. */
export function localImports(file: string): string[] {
  const src = read(file);
  const specs = [
    ...src.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g),
    ...src.matchAll(/\b(?:require|import)\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
    ...src.matchAll(/require\.resolve\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  const out: string[] = [];
  for (const spec of specs) {
    const base = relative(ROOT, resolve(ROOT, dirname(file), spec));
    const hit = [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')].find(
      (p) => exists(p) && statSync(join(ROOT, p)).isFile(),
    );
    if (hit) out.push(hit);
  }
  return out;
}

/** Every repository file an entry point loads, transitively through relative imports. */
export function importClosure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    if (f.endsWith('.ts')) todo.push(...localImports(f));
  }
  return seen;
}

/** NAME=TYPE lines of deploy/temporal/search-attributes.txt (comments and blanks dropped), sorted. */
export const searchAttributes = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .sort();

/** The worker readiness script, as the compose healthcheck and the Kubernetes probes carry it. */
export function workerProbeFromCompose(): string {
  const test = arr(dig(composeServices().worker, 'healthcheck', 'test'), 'worker healthcheck');
  if (test[0] !== 'CMD' || test[1] !== 'node' || test[2] !== '-e')
    throw new Error(`worker healthcheck is not CMD node -e: ${JSON.stringify(test.slice(0, 3))}`);
  return str(test[3], 'worker probe script');
}
