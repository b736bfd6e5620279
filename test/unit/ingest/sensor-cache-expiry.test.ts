// A sensor deactivated in master data stops being accepted within a minute, and a band change
// reaches the rule profiles within a minute, without a restart (issue 14): the caches' default
// refresh, measured on a fake clock with the whole reload (its query included) inside the minute.
import { expect } from 'chai';
import type { Db } from '../../../db/pool';
import type { SensorRecord } from '../../../db/telemetry';
import { ProfileCache } from '../../../coldchain/profiles';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import { SensorCache } from '../../../iot-ingest/registry';
import { createLogger } from '../../../platform/logger';

function fakeDb(rows: () => SensorRecord[]): Db {
  return { query: async () => ({ rows: rows() }) } as unknown as Db;
}

describe('SensorCache expiry', () => {
  const realNow = Date.now;
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    Date.now = () => now;
  });
  afterEach(() => {
    Date.now = realNow;
  });

  it('refuses a sensor deactivated in the database well within a minute by default', async () => {
    let active = true;
    const cache = new SensorCache(
      fakeDb(() => [{ sensorId: 's1', assetId: 'a1', nodeId: 'n1', band: 'chilled', active }]),
    );
    await cache.load();
    expect(cache.known('s1')).to.not.equal(undefined);
    active = false;
    // The reload starts on the first reading after the refresh period and must finish (here:
    // at once; in production a query of well under a second) before the minute is up.
    now += 45_000;
    cache.known('s1');
    await new Promise((r) => setImmediate(r));
    expect(cache.known('s1'), 'deactivated 45 s ago').to.equal(undefined);
    expect(await cache.problemWith({ sensorId: 's1', assetId: 'a1', nodeId: 'n1' })).to.match(
      /not registered or not active/,
    );
  });

  it('rule profiles changed in the database are used within a minute by default (asset bands are read per batch)', async () => {
    let highC = 4;
    const rows = () => [
      { id: 'custom-band', profile: { ...DEFAULT_PROFILES.chilled, id: 'custom-band', band: { lowC: 0, highC } } },
    ];
    const profiles = new ProfileCache(
      { query: async () => ({ rows: rows() }) } as unknown as Db,
      createLogger('silent'),
    );
    await profiles.load();
    highC = 3;
    now += 45_000;
    await profiles.refreshIfStale();
    expect((await profiles.resolve('custom-band'))?.band.highC).to.equal(3);
  });
});
