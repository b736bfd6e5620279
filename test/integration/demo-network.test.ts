// The demo city as a tenant (issue 14) on the real database: loading it goes through the bulk
// import (audited master data rows) and goods receiving (a receipt per node for the day, every
// line accepted, lots made by receiving), and a second load the same day changes nothing.
import { expect } from 'chai';
import { generateCity } from '../../demo';
import type { Db } from '../../db/pool';
import { loadDemoCity } from '../../demo/network';
import { requireDb, uniqueId } from '../support/stack';

describe('Demo city through the import and receiving (integration)', function () {
  this.timeout(60_000);
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => {
    await db?.close();
  });

  it('loads the city through audited upserts and its lots through receiving, idempotently', async () => {
    const prefix = `${uniqueId('dn')}-`;
    const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const generated = generateCity(2026, { frontWarehouses: 2, storeWarehouses: 1, skus: 30, baseDate: day });
    const { city, report } = await loadDemoCity(db, generated, { prefix, day, actor: 'import:test' });
    const lots = report.files.find((f) => f.file === 'lots.csv')!;
    expect(lots.rows).to.equal(city.lots.length).and.be.greaterThan(0);
    expect(lots.created, 'every delivered line is accepted').to.equal(lots.rows);
    expect(lots.refused).to.equal(0);

    const like = `${prefix}%`;
    const n = async (sql: string) => Number((await db.query<{ n: string }>(sql, [like]))[0]!.n);
    expect(await n(`SELECT count(*) AS n FROM receipts WHERE node_id LIKE $1`), 'a receipt per node').to.equal(
      city.nodes.length,
    );
    expect(
      await n(
        `SELECT count(*) AS n FROM receipt_lines l JOIN receipts r USING (receipt_id) WHERE r.node_id LIKE $1 AND l.status = 'accepted'`,
      ),
    ).to.equal(city.lots.length);
    expect(
      await n(`SELECT count(*) AS n FROM lots WHERE node_id LIKE $1 AND receipt_id IS NULL`),
      'no lot bypasses receiving',
    ).to.equal(0);
    expect(await n(`SELECT count(*) AS n FROM master_data_audit WHERE entity = 'node' AND entity_id LIKE $1`)).to.equal(
      city.nodes.length,
    );
    expect(await n(`SELECT count(*) AS n FROM master_data_audit WHERE entity = 'sku' AND entity_id LIKE $1`)).to.equal(
      city.skus.length,
    );
    expect(
      await n(`SELECT count(*) AS n FROM master_data_audit WHERE entity = 'sensor' AND entity_id LIKE $1`),
    ).to.be.greaterThan(0);

    const again = await loadDemoCity(db, generated, { prefix, day, actor: 'import:test' });
    for (const f of again.report.files) expect(f.created + f.changed, `${f.file} on a second load`).to.equal(0);
    expect(await n(`SELECT count(*) AS n FROM lots WHERE node_id LIKE $1`), 'no duplicate lots').to.equal(
      city.lots.length,
    );
  });
});
