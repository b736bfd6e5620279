// Rules that keep the API and db layers in one shape (issue #13): SQL only in db/, one
// Queryable type, no SQLSTATE strings in routes, one error-code catalogue, one id pattern, and
// no import circle between the OpenAPI document and the routers.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { ERROR_CODES, errorCodesMarkdown } from '../../../api/error-codes';

const ROOT = join(__dirname, '..', '..', '..');

/** Every .ts file under a folder of the repository (recursively), as repository-relative paths. */
function tsFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name === 'migrations' ? [] : tsFiles(relative(ROOT, path));
    return name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const PRODUCTION = [
  'activities',
  'api',
  'coldchain',
  'config',
  'db',
  'domain',
  'forecasting',
  'iot-ingest',
  'platform',
  'scripts',
  'workflows',
].flatMap((dir) => {
  try {
    return tsFiles(dir);
  } catch {
    return [];
  }
});

describe('layering: one way to reach the database', () => {
  it('keeps every SQL statement in db/ (bench/ and tests aside)', () => {
    const sql = /['"`]\s*(SELECT\s|INSERT INTO\s|UPDATE\s+[a-z_]+\s+SET\s|DELETE FROM\s|WITH\s+[a-z_]+\s+AS\s)/;
    const outside = PRODUCTION.filter((f) => !f.startsWith('db/') && sql.test(read(f)));
    expect(outside).to.deep.equal([]);
  });

  it('declares one Queryable type, in db/pool.ts, and db/ functions take no other handle', () => {
    const declaring = PRODUCTION.filter((f) => /export (type|interface) Queryable\b/.test(read(f)));
    expect(declaring).to.deep.equal(['db/pool.ts']);
    // The migration runner holds one session (an advisory lock across its own BEGIN/COMMITs): it takes the Db's pool.
    const otherHandles = tsFiles('db')
      .filter((f) => f !== 'db/pool.ts' && f !== 'db/migrate.ts')
      .flatMap((f) =>
        [...read(f).matchAll(/export async function (\w+)\(\s*\w+: (Db|PoolClient|Pool)\b/g)].map(
          (m) => `${f}: ${m[1]}(${m[2]})`,
        ),
      );
    expect(otherHandles).to.deep.equal([]);
  });

  it('reads no SQLSTATE in api/ (db functions return or throw typed conflicts)', () => {
    const offenders = tsFiles('api').filter((f) =>
      /code\s*===?\s*'[0-9A-Z]{5}'|'(23505|22003|40001|40P01)'/.test(read(f)),
    );
    expect(offenders).to.deep.equal([]);
  });
});

describe('layering: one error-code catalogue', () => {
  it('uses only codes of the catalogue anywhere in the API', () => {
    const unknown = tsFiles('api')
      .filter((f) => f !== 'api/error-codes.ts')
      .flatMap((f) =>
        [...read(f).matchAll(/['"`](FC_[A-Z_]+)['"`]/g)]
          .map((m) => m[1]!)
          .filter((c) => !(c in ERROR_CODES))
          .map((c) => `${f}: ${c}`),
      );
    expect(unknown).to.deep.equal([]);
  });

  it('constructs ApiError from a code alone (the status comes from the catalogue)', () => {
    const withStatus = tsFiles('api').filter((f) => /new ApiError\(\s*\d/.test(read(f)));
    expect(withStatus).to.deep.equal([]);
  });

  it('documents the catalogue in docs/errors.md, generated from it', () => {
    expect(read('docs/errors.md')).to.equal(errorCodesMarkdown());
  });
});

describe('layering: OpenAPI and routers', () => {
  it('has no import from a router to api/openapi.ts (no circle)', () => {
    const importing = tsFiles('api/routes').filter((f) => /from '\.\.\/openapi'/.test(read(f)));
    expect(importing).to.deep.equal([]);
  });

  it('declares the id pattern once', () => {
    const literal = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}';
    const declaring = PRODUCTION.filter((f) => read(f).includes(literal));
    expect(declaring).to.deep.equal(['domain/ids.ts']);
  });
});
