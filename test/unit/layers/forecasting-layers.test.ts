// The forecasting area sits low: its engine, planner, run parameters and schedule contract import
// nothing above domain/, db/, config/ and platform/; the API reads run parameters from a contract,
// never from the activities that run them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect } from 'chai';

const ROOT = resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Top-level folders a file's relative imports reach (type-only imports included: they are arrows too). */
function importedFolders(file: string): { spec: string; folder: string }[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] as string);
  return specs.map((spec) => {
    const target = relative(ROOT, resolve(join(ROOT, dirname(file)), spec));
    return { spec, folder: target.split('/')[0] as string };
  });
}

describe('forecasting layers', () => {
  it('forecasting/ imports nothing above domain, db, config and platform', () => {
    const allowed = new Set(['forecasting', 'domain', 'db', 'config', 'platform']);
    const upward = sourceFiles('forecasting').flatMap((file) =>
      importedFolders(file)
        .filter((i) => !allowed.has(i.folder))
        .map((i) => `${file} → ${i.spec}`),
    );
    expect(upward).to.deep.equal([]);
  });

  it('api/ takes the forecast run parameters from a contract, not from the activities', () => {
    const offending = sourceFiles('api').flatMap((file) =>
      importedFolders(file)
        .filter((i) => /activities\/forecasting$/.test(i.spec))
        .map((i) => `${file} → ${i.spec}`),
    );
    expect(offending).to.deep.equal([]);
  });

  it('activities/forecasting.ts is thin: no request schema and no planner in it', () => {
    const text = readFileSync(join(ROOT, 'activities/forecasting.ts'), 'utf8');
    expect(text).not.to.match(/from 'zod'/);
    expect(text).not.to.match(/export function planNode\b/);
  });
});
