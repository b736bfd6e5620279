import { Connection } from '@temporalio/client';
import { expect } from 'chai';
import { loadMigrations } from '../../db/migrate';
import type { Db } from '../../db/pool';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { requireDb, testConfig } from '../support/stack';

// Suites run side by side (mocha --parallel): each must reach resources of its own, never the
// shared stack's defaults that `npm start` and other suites use.
describe('integration suite isolation', () => {
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => {
    await db?.close();
  });

  it('runs on a database of its own, cloned from the migrated template', async () => {
    const [row] = await db.query<{ name: string }>('SELECT current_database() AS name');
    expect(row!.name).to.match(/^freshchain_test_[a-z0-9]+_\d+$/);
    expect(row!.name).to.include(`_${process.pid}`);
    const versions = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => v.version)).to.deep.equal(loadMigrations().map((m) => m.version));
  });

  it('runs in a Temporal namespace of its own, with the search attributes the workflows set', async () => {
    expect(testConfig.temporal.namespace).to.match(/^freshchain-test-[a-z0-9]+-\d+$/);
    expect(JSON.stringify(testConfig.temporal), 'task queues').to.match(/"freshchain-test-[a-z0-9]+-\d+-orders"/);
    const connection = await Connection.connect({ address: testConfig.temporal.address });
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace: testConfig.temporal.namespace });
      for (const key of ALL_SEARCH_ATTRIBUTES) expect(res.customAttributes, key.name).to.have.property(key.name);
    } finally {
      await connection.close();
    }
  });

  it('joins MQTT share groups and uses client ids of its own', () => {
    expect(testConfig.mqtt.shareGroup).to.not.equal('ingest');
    expect(testConfig.alerts.shareGroup).to.not.equal('alerts');
    expect(testConfig.ingest.clientIdPrefix).to.match(/^fc-test-/);
    expect(testConfig.alerts.clientIdPrefix).to.match(/^fc-test-.*-alerts$/);
  });
});
