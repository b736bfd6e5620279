// The Dockerfile: pinned Node 20 base, `npm ci`, a build stage that compiles what the four entry
// points load (transitively) and pre-builds the workflow bundle, a runtime stage that runs the
// compiled JavaScript with production dependencies only, as a non-root user.
import { expect } from 'chai';
import { compiledEntry, dockerfileBases, importClosure, npmEntry, read } from './support';

interface Instr {
  op: string;
  args: string;
  stage: number;
}

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
const buildStage = all.find((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args))?.stage;
const build = all.filter((i) => i.stage === buildStage);

describe('Dockerfile', () => {
  it('is multi-stage on a pinned Node 20 image, installing with npm ci from the lock file', () => {
    const bases = dockerfileBases('Dockerfile');
    expect(new Set(all.filter((i) => i.op === 'FROM').map((i) => i.stage)).size).to.be.greaterThan(1);
    for (const b of bases) expect(b.image).to.match(/^node:20\.\d+\.\d+-bookworm(-slim)?$/);
    const runs = all.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(
      runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)),
      'production dependencies by npm ci --omit=dev',
    ).to.equal(true);
    expect(
      runs.some((r) => /\bnpm install\b/.test(r)),
      'npm install would ignore the lock file',
    ).to.equal(false);
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

  it('runs compiled JavaScript in one node process, with the pre-built workflow bundle; the command picks the entry', () => {
    const entrypoint = final.find((i) => i.op === 'ENTRYPOINT');
    expect(JSON.parse(entrypoint!.args)).to.deep.equal(['node']);
    const cmd = JSON.parse(final.find((i) => i.op === 'CMD')!.args) as string[];
    expect(cmd).to.deep.equal([compiledEntry('api')]);
    expect(
      final.some((i) => i.op === 'ENV' && /WORKFLOW_BUNDLE=\/app\/dist\/workflow-bundle\.js/.test(i.args)),
      'ENV WORKFLOW_BUNDLE',
    ).to.equal(true);
  });

  it('carries no TypeScript tooling at run time: production dependencies and the build output only', () => {
    const fromOther = final
      .filter((i) => i.op === 'COPY' && /--from=/.test(i.args))
      .map((i) => i.args.replace(/--from=\S+\s+/, ''));
    expect(fromOther).to.deep.equal(['/app/node_modules ./node_modules', '/app/dist ./dist']);
    const prodDeps = all.filter((i) => i.op === 'RUN' && /--omit=dev/.test(i.args)).map((i) => i.stage);
    const nodeModulesFrom = /--from=(\S+)/.exec(
      final.find((i) => i.op === 'COPY' && /node_modules/.test(i.args))!.args,
    )![1];
    expect(dockerfile).to.match(new RegExp(`FROM \\S+ AS ${nodeModulesFrom}\\b`));
    expect(prodDeps).to.have.length(1);
    expect(final.some((i) => i.op === 'COPY' && /\btsx\b/.test(i.args))).to.equal(false);
  });

  it('builds every entry point with tsconfig.build.json, and copies every folder they load into the build', () => {
    expect(buildStage, 'a stage that runs npm run build').to.be.a('number');
    const tsconfig = JSON.parse(read('tsconfig.build.json').replace(/^\s*\/\/.*$/gm, '')) as { files: string[] };
    const entries = ['worker', 'api', 'ingest', 'migrate'].map(npmEntry);
    expect(tsconfig.files).to.include.members([...entries, 'workflows/index.ts']);
    const files = importClosure([...entries, 'workflows/index.ts']);
    expect(files.size).to.be.greaterThan(30);
    const folders = new Set([...files].map((f) => f.split('/')[0]!).filter((f) => !f.includes('.')));
    // Data read at run time beside the code.
    expect(folders).to.include.members(['db', 'api', 'workflows', 'iot-ingest', 'config', 'platform']);
    const copies = build.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args)).map((i) => i.args.split(/\s+/));
    for (const folder of folders) {
      expect(
        copies.some((c) => c.slice(0, -1).includes(folder)),
        `COPY ${folder}`,
      ).to.equal(true);
    }
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.ts']) {
      expect(
        copies.some((c) => c.includes(f)),
        `COPY ${f}`,
      ).to.equal(true);
    }
  });

  it('.dockerignore keeps node_modules, .git and .env files out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).to.include.members(['node_modules', '.git', '.env']);
    // Nothing the image copies is ignored.
    const copied = all
      .filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    const negated = new Set(ignored.filter((l) => l.startsWith('!')).map((l) => l.slice(1)));
    for (const c of copied) {
      const path = c.replace(/^\.\//, '');
      expect(ignored, c).to.not.include(path);
      // Under an ignored folder only when re-included by a `!` line (scripts/build.ts).
      if (ignored.includes(path.split('/')[0]!)) expect(negated.has(path), c).to.equal(true);
    }
  });
});
