// The cold chain is one area (issue 13): iot-ingest/ holds ingest only, alerting and webhooks
// live in coldchain/, and code outside the area reaches it through its index.
import { readdirSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { expect } from 'chai';

const ROOT = join(__dirname, '../../..');

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Repository paths (without extension) that a file imports relatively. */
function importTargets(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  return [...src.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'/g)].map((m) => normalize(join(file, '..', m[1]!)));
}

describe('cold chain layout', () => {
  it('iot-ingest/ holds only ingest', () => {
    expect(tsFiles('iot-ingest').sort()).to.deep.equal([
      'iot-ingest/ingester.ts',
      'iot-ingest/main.ts',
      'iot-ingest/maintenance.ts',
      'iot-ingest/metrics.ts',
      'iot-ingest/poison.ts',
      'iot-ingest/registry.ts',
      'iot-ingest/replay-main.ts',
      'iot-ingest/replay.ts',
    ]);
  });

  it('webhook signing, delivery and dispatch live in coldchain/webhooks/', () => {
    expect(tsFiles('coldchain/webhooks').sort()).to.include.members([
      'coldchain/webhooks/delivery.ts',
      'coldchain/webhooks/dispatcher.ts',
      'coldchain/webhooks/signing.ts',
    ]);
    expect(readFileSync(join(ROOT, 'domain/coldchain/webhookPolicy.ts'), 'utf8')).to.not.include('standardwebhooks');
  });

  it('the API, activities and entry points import the area through its index only', () => {
    const outside = [...tsFiles('api'), ...tsFiles('activities'), 'scripts/start.ts', 'iot-ingest/main.ts'];
    for (const f of outside) {
      const deep = importTargets(f).filter((t) => t.startsWith('coldchain/') && t !== 'coldchain/index');
      expect(deep, f).to.deep.equal([]);
    }
  });
});
