// The migrations are one schema for every server (no per-licence variants), and the runner
// splits a no-transaction file into statements without cutting a dollar-quoted body apart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { loadMigrations, sqlStatements } from '../../../db/migrate';

describe('migrations: one schema on every server', () => {
  it('ships no licence variant and no two files of one version', () => {
    const all = loadMigrations();
    expect(all.map((m) => m.name).filter((n) => n.includes('@'))).to.deep.equal([]);
    const versions = all.map((m) => m.version);
    expect(new Set(versions).size).to.equal(versions.length);
    expect(all.map((m) => m.name)).to.include('003_telemetry_aggregates.sql');
  });

  it('refuses a directory holding a file it would otherwise skip (a stale licence variant)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-mig-'));
    try {
      writeFileSync(join(dir, '001_a.sql'), 'SELECT 1;');
      writeFileSync(join(dir, '003_b@apache.sql'), 'SELECT 1;');
      expect(() => loadMigrations(dir)).to.throw(/003_b@apache\.sql/);
      rmSync(join(dir, '003_b@apache.sql'));
      writeFileSync(join(dir, '001_c.sql'), 'SELECT 1;');
      expect(() => loadMigrations(dir)).to.throw(/version 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migrations: statements of a no-transaction file', () => {
  it('keeps a DO block whose body has lines ending in ; whole', () => {
    const sql = `-- migrate:no-transaction
SELECT 1;
DO $$
BEGIN
  PERFORM 1;
  IF true THEN PERFORM 2; END IF;
END $$;
CREATE MATERIALIZED VIEW v AS SELECT 1
WITH NO DATA;`;
    const out = sqlStatements(sql);
    expect(out).to.have.length(3);
    expect(out[1]).to.match(/^DO \$\$[\s\S]*END \$\$$/);
    expect(out[2]).to.match(/WITH NO DATA$/);
  });

  it('keeps a tagged dollar quote ($body$) whole, and drops comment-only pieces', () => {
    const out = sqlStatements('-- a comment;\nDO $body$\nBEGIN\n  PERFORM 1;\nEND $body$;\n-- trailing;\n');
    expect(out).to.deep.equal(['DO $body$\nBEGIN\n  PERFORM 1;\nEND $body$']);
  });

  // Statements made of arbitrary text (NUL, lone surrogates, any unicode) with dollar-quoted
  // bodies full of `;\n`: splitting their concatenation gives them back.
  const plain = fc
    .string({ unit: 'binary', maxLength: 40 })
    .map((s) => s.replace(/[;$\n-]/g, ' ').trim())
    .filter((s) => s.length > 0);
  const body = fc.array(plain, { maxLength: 5 }).map((ls) => ls.map((l) => `  ${l};`).join('\n'));
  const statement = fc.oneof(
    plain.map((s) => `SELECT ${s}`),
    fc.tuple(fc.constantFrom('$$', '$x$', '$body_2$'), body).map(([tag, b]) => `DO ${tag}\n${b}\n${tag}`),
  );
  it('gives back every statement of a file (property)', () => {
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 8 }), (stmts) => {
        expect(sqlStatements(stmts.map((s) => `${s};`).join('\n'))).to.deep.equal(stmts);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and never invents text, whatever the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (sql) => {
        const out = sqlStatements(sql);
        for (const s of out) expect(sql).to.contain(s);
      }),
      { numRuns: 500 },
    );
  });
});
