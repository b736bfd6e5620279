// `npm run build [-- --out DIR]`: what production runs, compiled once (default DIR: dist/):
//   1. tsc -p tsconfig.build.json: the entry points (worker, API, ingester, migrations) and what
//      they import, type-checked and compiled to DIR;
//   2. the files the code reads beside itself at run time (migrations, the API's static pages);
//   3. the workflow bundle, pre-built from the compiled workflows into DIR/workflow-bundle.js, which
//      the compiled worker loads instead of bundling at every start.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = resolve(__dirname, '..');

/** Read at run time relative to the code (db/migrate.ts, api/openapi.ts, api/routes/picker.ts). */
const RUNTIME_FILES = ['db/migrations', 'api/public'];

/** The pre-built bundle's file name, beside the compiled code (workflows/worker.ts looks for it there). */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

function compile(outDir: string): void {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`tsc failed (exit ${r.status ?? r.signal})`);
}

/** Build into `outDir`; returns the path of the workflow bundle. */
export async function build(outDir: string): Promise<{ outDir: string; workflowBundle: string }> {
  const out = resolve(ROOT, outDir);
  mkdirSync(out, { recursive: true });
  compile(out);
  for (const rel of RUNTIME_FILES) cpSync(join(ROOT, rel), join(out, rel), { recursive: true });
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: join(out, 'workflows/index.js'), logger: quiet });
  const workflowBundle = join(out, WORKFLOW_BUNDLE_FILE);
  writeFileSync(workflowBundle, code);
  return { outDir: out, workflowBundle };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist' } }, strict: true });
  const t0 = Date.now();
  const result = await build(values.out);
  console.log(`built ${result.outDir} and ${result.workflowBundle} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`build: ${(err as Error).message}`);
    process.exit(1);
  });
}
