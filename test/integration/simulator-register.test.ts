// `npm run simulate -- --register` registers the simulated network through master data (issue
// 14): the same functions as PUT /v1/nodes, /v1/assets and /v1/sensors, so every record is
// versioned and audited, and what an operator changed since is respected.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { putSensor, readAsset, readNode, readSensor } from '../../db/masterdata';
import type { Db } from '../../db/pool';
import { registerSimNetwork } from '../../demo/register';
import { buildSimNetwork } from '../../demo/simulator';
import { requireDb, requireMqtt, uniqueId } from '../support/stack';

const ROOT = join(__dirname, '../..');

function simulateRegister(prefix: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [
      '--prefix',
      prefix,
      '--nodes',
      '1',
      '--sensors',
      '3',
      '--vans',
      '1',
      '--duration-s',
      '1',
      '--rate-hz',
      '1',
      '--register',
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'demo/simulate-main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, FRESHCHAIN_PROFILE: 'test', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`simulator exited with ${code}`))));
  });
}

async function auditedIds(db: Db, entity: string, prefix: string): Promise<string[]> {
  const rows = await db.query<{ entity_id: string }>(
    'SELECT DISTINCT entity_id FROM master_data_audit WHERE entity = $1 AND entity_id LIKE $2 ORDER BY entity_id',
    [entity, `${prefix}-%`],
  );
  return rows.map((r) => r.entity_id);
}

describe('simulator registration through master data (integration)', function () {
  this.timeout(60_000);
  let db: Db;
  before(async () => {
    db = await requireDb();
  });
  after(async () => {
    await db?.close();
  });

  it('simulate --register leaves audited, versioned nodes, assets and sensors', async () => {
    (await requireMqtt('device')).end(true);
    const prefix = uniqueId('simreg');
    await simulateRegister(prefix);
    const net = buildSimNetwork({ prefix, nodes: 1, sensors: 3, vans: 1, seed: 1 });
    expect(await auditedIds(db, 'node', prefix)).to.deep.equal(net.nodes.map((n) => n.id).sort());
    expect(await auditedIds(db, 'asset', prefix)).to.deep.equal(net.assets.map((a) => a.id).sort());
    expect(await auditedIds(db, 'sensor', prefix)).to.deep.equal(net.sensors.map((s) => s.id).sort());
    for (const s of net.sensors) expect((await readSensor(db.pool, s.id))?.version).to.equal(1);
  });

  it("registering again changes nothing; an operator's node and sensor changes are kept", async () => {
    const prefix = uniqueId('simreg');
    const net = buildSimNetwork({ prefix, nodes: 1, sensors: 4, vans: 1, seed: 3 });
    const first = await registerSimNetwork(db, net);
    expect(first.created).to.equal(net.nodes.length + net.assets.length + net.sensors.length);
    const sensor = net.sensors[0]!;
    await db.transaction((c) => putSensor(c, sensor.id, { assetId: sensor.assetId, active: false }, 'ops-test'));
    const again = await registerSimNetwork(db, net);
    expect(again).to.deep.equal({ created: 0, changed: 0, unchanged: first.created });
    expect((await readSensor(db.pool, sensor.id))?.active).to.equal(false);
    expect((await readNode(db.pool, net.nodes[0]!.id))?.version).to.equal(1);
    expect((await readAsset(db.pool, net.assets[0]!.id))?.band).to.equal(net.assets[0]!.band);
  });

  it('a band master data does not know is refused, naming the asset and field, and nothing is written', async () => {
    const prefix = uniqueId('simreg');
    const net = buildSimNetwork({ prefix, nodes: 1, sensors: 2, vans: 0, seed: 5 });
    const bad = { ...net, assets: net.assets.map((a, i) => (i === 0 ? { ...a, band: 'no-such-band' } : a)) };
    let error: Error | null = null;
    await registerSimNetwork(db, bad).catch((e: Error) => (error = e));
    expect(error).to.be.an('error');
    expect(error!.message).to.include(`asset ${net.assets[0]!.id}`).and.include('band');
    expect(await readNode(db.pool, net.nodes[0]!.id)).to.equal(null);
  });
});
