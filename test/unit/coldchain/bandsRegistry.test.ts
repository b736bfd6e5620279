import { expect } from 'chai';
import { DEFAULT_PROFILES, bandPosition, profileById, validateProfile } from '../../../domain/coldchain/bands';
import { buildRegistry, resolveReading, resolveSensor } from '../../../domain/coldchain/registry';
import type { SensorRegistry } from '../../../domain/coldchain/registry';
import { reading } from './helpers';

describe('coldchain/bands', () => {
  it('ships valid default profiles with the DOMAIN.md bands', () => {
    for (const p of Object.values(DEFAULT_PROFILES)) {
      expect(validateProfile(p), p.id).to.deep.equal({ ok: true, profile: p });
      expect(p.offlineTimeoutSec).to.equal(600);
    }
    const { frozen, chilled, leafy, chilling_sensitive: sensitive, ambient } = DEFAULT_PROFILES;
    expect(frozen.band).to.deep.equal({ lowC: null, highC: -18 });
    expect(chilled.band).to.deep.equal({ lowC: 0, highC: 4 });
    expect(chilled.high).to.include({ warnC: 5, warnDelaySec: 900 });
    expect(leafy.band).to.deep.equal({ lowC: 0, highC: 2 });
    expect(sensitive.band).to.deep.equal({ lowC: 10, highC: 13 });
    expect(ambient.band).to.deep.equal({ lowC: 10, highC: 25 });
  });

  const chilled = DEFAULT_PROFILES.chilled;
  const high = chilled.high as NonNullable<typeof chilled.high>;
  const low = chilled.low as NonNullable<typeof chilled.low>;
  const cases: [string, unknown, RegExp][] = [
    [
      'clear threshold not inside the trigger',
      { ...chilled, high: { ...high, clearC: 5 } },
      /high\.clearC must be < high\.warnC/,
    ],
    ['critical below warn', { ...chilled, high: { ...high, criticalC: 4.5 } }, /high\.criticalC must be ≥ high\.warnC/],
    ['hard limit below critical', { ...chilled, hardLimit: { lowC: -5, highC: 7 } }, /hardLimit\.highC/],
    ['low clear not inside', { ...chilled, low: { ...low, clearC: -1.5 } }, /low\.clearC must be > low\.warnC/],
    ['negative delay', { ...chilled, high: { ...high, warnDelaySec: -1 } }, /high\.warnDelaySec/],
    ['missing offline timeout', { ...chilled, offlineTimeoutSec: undefined }, /offlineTimeoutSec/],
    ['band upside down', { ...chilled, band: { lowC: 4, highC: 0 } }, /band\.lowC must be ≤ band\.highC/],
  ];
  for (const [name, input, message] of cases) {
    it(`rejects a profile with ${name}`, () => {
      const r = validateProfile(input);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.errors.join('\n')).to.match(message);
    });
  }

  it('places temperatures relative to a band, open-ended where null', () => {
    expect([-1, 0, 4, 4.1].map((t) => bandPosition(t, chilled.band))).to.deep.equal(['below', 'in', 'in', 'above']);
    expect(bandPosition(-40, DEFAULT_PROFILES.frozen.band)).to.equal('in');
  });

  it('finds custom profiles first, then defaults, and nothing on the prototype', () => {
    const custom = { chilled: { ...chilled, label: 'site chilled' } };
    expect(profileById('chilled', custom)?.label).to.equal('site chilled');
    expect(profileById('frozen', custom)?.id).to.equal('frozen');
    expect(profileById('constructor')).to.equal(null);
  });
});

describe('coldchain/registry', () => {
  const input = {
    nodes: [
      {
        nodeId: 'fw-sh-01',
        name: 'Shanghai Xuhui front warehouse',
        kind: 'front_warehouse',
        timeZone: 'Asia/Shanghai',
      },
    ],
    assets: [{ assetId: 'fridge-1', nodeId: 'fw-sh-01', kind: 'fridge', profileId: 'chilled', label: 'Dairy fridge' }],
    sensors: [
      { sensorId: 's1', assetId: 'fridge-1', active: true },
      { sensorId: 's9', assetId: 'fridge-1', active: false },
    ],
  };
  const built = buildRegistry(input, Object.keys(DEFAULT_PROFILES));
  if (!built.ok) throw new Error(built.errors.join('; '));
  const registry: SensorRegistry = built.registry;

  it('resolves a sensor to its asset, node and profile', () => {
    const r = resolveSensor(registry, 's1');
    expect(r?.profileId).to.equal('chilled');
    expect(r?.node.timeZone).to.equal('Asia/Shanghai');
    expect(resolveSensor(registry, 'nope')).to.equal(null);
    expect(resolveSensor(registry, 'constructor')).to.equal(null);
  });

  it('dead-letters readings from unknown or inactive sensors, or with the wrong asset or node, as unknown_sensor', () => {
    expect(resolveReading(registry, reading(0, 3), 't').ok).to.equal(true);
    const bad = [
      reading(0, 3, { sensorId: 'ghost' }),
      reading(0, 3, { sensorId: 's9' }),
      reading(0, 3, { assetId: 'freezer-2' }),
      reading(0, 3, { nodeId: 'fw-bj-01' }),
    ];
    for (const r of bad) {
      const res = resolveReading(registry, r, 'topic/x');
      expect(res.ok, r.sensorId).to.equal(false);
      if (!res.ok)
        expect(res.deadLetter).to.include({ reason: 'unknown_sensor', topic: 'topic/x', sensorId: r.sensorId });
    }
  });

  it('reports bad shapes, duplicates, dangling references and unknown profiles', () => {
    const r = buildRegistry(
      {
        nodes: [...input.nodes, { nodeId: 'bad/id', name: 'x', kind: 'front_warehouse', timeZone: 'UTC' }],
        assets: [
          ...input.assets,
          { ...input.assets[0], profileId: 'tropical' },
          { assetId: 'van-3', nodeId: 'fleet-9', kind: 'van', profileId: 'frozen', label: '' },
        ],
        sensors: [...input.sensors, { sensorId: 's2', assetId: 'missing', active: true }],
      },
      Object.keys(DEFAULT_PROFILES),
    );
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.errors).to.have.length(4);
    expect(r.errors.join('\n'))
      .to.match(/node #1: nodeId/)
      .and.match(/asset fridge-1: duplicate id/)
      .and.match(/asset van-3: unknown node fleet-9/)
      .and.match(/sensor s2: unknown asset missing/);
  });
});
