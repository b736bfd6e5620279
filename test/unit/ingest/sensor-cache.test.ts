import { expect } from 'chai';
import type { Db } from '../../../db/pool';
import type { SensorRecord } from '../../../db/telemetry';
import { SensorCache } from '../../../iot-ingest/registry';

/** A table of sensors behind the two queries the cache makes, counting them; it can be made to fail. */
function fakeDb(initial: SensorRecord[]) {
  const table = new Map(initial.map((s) => [s.sensorId, s]));
  const calls = { full: 0, byId: [] as string[][] };
  let failuresLeft = 0;
  const db = {
    async query(text: string, params?: unknown[]) {
      await new Promise((r) => setImmediate(r));
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('connection refused');
      }
      if (params) {
        const ids = params[0] as string[];
        calls.byId.push([...ids]);
        return { rows: ids.flatMap((id) => (table.has(id) ? [table.get(id)!] : [])) };
      }
      calls.full++;
      expect(text).to.match(/FROM sensors/);
      return { rows: [...table.values()] };
    },
  } as unknown as Db;
  return { db, table, calls, fail: (n: number) => (failuresLeft = n) };
}

const sensor = (sensorId: string, active = true): SensorRecord => ({
  sensorId,
  assetId: `${sensorId}-a`,
  nodeId: 'n1',
  band: 'chilled',
  active,
});

describe('ingester sensor cache', () => {
  it('accepts a sensor registered after the last full load, on its first reading', async () => {
    const { db, table, calls } = fakeDb([sensor('s1')]);
    const cache = new SensorCache(db);
    await cache.load();
    table.set('s2', sensor('s2'));
    expect(cache.known('s2')).to.equal(undefined);
    expect((await cache.lookup('s2'))?.sensorId).to.equal('s2');
    expect(cache.known('s2')?.sensorId, 'cached after the lookup').to.equal('s2');
    expect(calls.full).to.equal(1);
  });

  it('asks once for all the ids looked up in the same turn', async () => {
    const { db, table, calls } = fakeDb([]);
    const cache = new SensorCache(db);
    await cache.load();
    for (const id of ['a', 'b', 'c']) table.set(id, sensor(id));
    const found = await Promise.all(['a', 'b', 'c', 'zzz', 'a'].map((id) => cache.lookup(id)));
    expect(found.map((f) => f?.sensorId)).to.deep.equal(['a', 'b', 'c', undefined, 'a']);
    expect(calls.byId).to.deep.equal([['a', 'b', 'c', 'zzz']]);
  });

  it('remembers an unknown id for a while, then asks again', async () => {
    const { db, table, calls } = fakeDb([]);
    const cache = new SensorCache(db, { unknownTtlMs: 30 });
    await cache.load();
    expect(await cache.lookup('late')).to.equal(undefined);
    table.set('late', sensor('late'));
    expect(await cache.lookup('late'), 'still remembered as unknown').to.equal(undefined);
    expect(calls.byId).to.have.length(1);
    await new Promise((r) => setTimeout(r, 40));
    expect((await cache.lookup('late'))?.sensorId).to.equal('late');
    expect(calls.byId).to.have.length(2);
  });

  it('refuses an inactive sensor, and picks up a deactivation on the periodic reload', async () => {
    const { db, table } = fakeDb([sensor('s1'), sensor('off', false)]);
    const cache = new SensorCache(db, { refreshMs: 20 });
    await cache.load();
    expect(cache.known('off')).to.equal(undefined);
    expect(await cache.lookup('off')).to.equal(undefined);
    expect(cache.known('s1')?.sensorId).to.equal('s1');
    table.set('s1', sensor('s1', false));
    await new Promise((r) => setTimeout(r, 30));
    cache.known('s1'); // starts the background reload
    await new Promise((r) => setTimeout(r, 10));
    expect(cache.known('s1')).to.equal(undefined);
  });

  it('waits out a database outage instead of calling a registered sensor unknown', async () => {
    const { db, table, fail } = fakeDb([]);
    const cache = new SensorCache(db);
    await cache.load();
    table.set('s9', sensor('s9'));
    fail(2);
    expect((await cache.lookup('s9'))?.sensorId).to.equal('s9');
  });

  it('gives up waiting once closed', async () => {
    const { db, fail } = fakeDb([]);
    const cache = new SensorCache(db);
    await cache.load();
    fail(1000);
    const pending = cache.lookup('s9');
    cache.close();
    let error: Error | undefined;
    await pending.catch((e: Error) => (error = e));
    expect(error?.message).to.equal('connection refused');
  });

  it('bounds the memory a flood of made-up ids can take', async () => {
    const { db } = fakeDb([]);
    const cache = new SensorCache(db, { maxUnknown: 50 });
    await cache.load();
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 40 }, (_, j) => cache.lookup(`x${i}-${j}`)));
    expect(cache.stats().unknownRemembered).to.be.within(1, 50);
  });
});
