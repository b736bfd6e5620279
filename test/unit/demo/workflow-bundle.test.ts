// Demo and simulator code stays out of production code (issue 13): the workflow bundle the
// worker builds holds none of it, and the demo draws its categories from the governed codes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { expect } from 'chai';
import { CATEGORIES as DEMO_CATEGORIES } from '../../../demo/catalogue';
import { CATEGORIES } from '../../../domain/masterdata/codes';

const ROOT = join(__dirname, '../../..');

/** Repository files under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative import specifiers of a file (value and type imports alike). */
function importsOf(file: string): string[] {
  return [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
}

describe('demo code out of production code', () => {
  it('the workflow bundle holds no demo module and no signing library', async function () {
    this.timeout(120_000);
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(ROOT, 'workflows/index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
    });
    expect(code).to.not.match(/demo\/(city|catalogue|rng)|domain\/orders\/(city|catalogue|rng)/);
    expect(code).to.not.include('generateCity');
    expect(code).to.not.include('node_modules/standardwebhooks');
  });

  it('no production folder imports demo/', () => {
    for (const dir of [
      'domain',
      'db',
      'workflows',
      'activities',
      'api',
      'coldchain',
      'iot-ingest',
      'forecasting',
      'platform',
      'config',
    ]) {
      for (const f of filesUnder(dir)) {
        const bad = importsOf(f).filter((s) => /(^|\/)demo(\/|$)/.test(s));
        expect(bad, f).to.deep.equal([]);
      }
    }
  });

  it('every demo catalogue category is a governed category code', () => {
    for (const c of DEMO_CATEGORIES) expect(CATEGORIES, c.category).to.include(c.category);
  });
});
