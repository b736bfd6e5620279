// Property-style test: junk of every kind never makes the parser throw, and whatever it
// accepts satisfies the contract. Seeded, so a failure reproduces exactly.
import { expect } from 'chai';
import {
  ID_PATTERN,
  TEMP_RANGE_C,
  batchTopic,
  parseTelemetryMessage,
  readingTopic,
} from '../../../domain/coldchain/telemetry';
import type { ParseResult } from '../../../domain/coldchain/telemetry';
import { T0, seededRandom } from './helpers';

const opts = { now: T0, maxFutureSkewMs: 60_000, maxAgeMs: 3_600_000, maxPayloadBytes: 4096 };
const SINGLE = readingTopic('n1', 'a1', 's1');
const BATCH = batchTopic('n1', 'gw1');

function makeGen(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const atoms: unknown[] = [
    null,
    true,
    false,
    0,
    -0,
    1,
    -1,
    1.5,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    T0,
    T0 / 1000,
    T0 + 1e9,
    '',
    'x',
    '1',
    '__proto__',
    'constructor',
    '2025-06-01T12:00:00Z',
    '2025-06-01T12:00:00',
    '\u0000',
    '\ud800',
    '+',
    '#',
    '💥',
  ];
  const keys = [
    'v',
    'ts',
    'seq',
    'temp_c',
    'humidity_pct',
    'door_open',
    'battery_pct',
    'defrost',
    'sensor',
    'asset',
    'gateway',
    'readings',
    '__proto__',
    'x',
  ];
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.5) return pick(atoms);
    if (r < 0.65) return (rand() - 0.5) * 10 ** int(6);
    if (r < 0.8) return Array.from({ length: int(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: int(5) }, () => [pick(keys), value(depth + 1)]));
  };
  const validFields = () => ({
    ts: T0 - int(7_200_000),
    temp_c: (rand() - 0.5) * 160,
    humidity_pct: rand() * 120 - 10,
    seq: int(100),
  });
  // Mutate a valid-looking reading: drop a key, or replace a value with junk.
  const mutate = (o: Record<string, unknown>) => {
    const copy: Record<string, unknown> = { ...o };
    const k = pick(Object.keys(copy));
    if (rand() < 0.3) delete copy[k];
    else if (rand() < 0.7) copy[k] = value(1);
    return copy;
  };
  const payload = (): Uint8Array => {
    const r = rand();
    if (r < 0.2) return Uint8Array.from({ length: int(300) }, () => int(256));
    if (r < 0.35) {
      const text = JSON.stringify({ v: 1, ...validFields() });
      return Buffer.from(text.slice(0, int(text.length + 1)) + pick(['', '}', ']', ',', '"', '\\']), 'utf8');
    }
    if (r < 0.5) return Buffer.from(JSON.stringify(value(0)) ?? 'undefined', 'utf8');
    if (r < 0.75) return Buffer.from(JSON.stringify(mutate({ v: 1, ...validFields() })), 'utf8');
    const readings = Array.from({ length: int(8) }, () =>
      rand() < 0.6 ? mutate({ sensor: `s${int(5)}`, asset: 'a1', ...validFields() }) : value(1),
    );
    return Buffer.from(JSON.stringify(mutate({ v: 1, gateway: 'gw1', readings })), 'utf8');
  };
  const topic = (): string => {
    const r = rand();
    if (r < 0.4) return SINGLE;
    if (r < 0.8) return BATCH;
    return pick([
      '',
      '/',
      'freshchain',
      'freshchain/v1',
      'freshchain/v1/telemetry/+/+/+',
      '$share/x/freshchain/v1/batch/n1/gw1',
      `${SINGLE}/`,
      'freshchain/v9/batch/n1/gw1',
    ]);
  };
  return { payload, topic };
}

function checkInvariants(topic: string, payload: Uint8Array, res: ParseResult): void {
  expect(res.readings).to.be.an('array');
  expect(res.deadLetters).to.be.an('array');
  for (const d of res.deadLetters) {
    expect(d.reason, d.detail).to.not.equal('internal_error');
    expect(d.detail).to.be.a('string');
    expect(d.topic).to.equal(topic);
  }
  for (const r of res.readings) {
    expect(r.tempC).to.be.within(TEMP_RANGE_C.min, TEMP_RANGE_C.max);
    expect(r.ts).to.be.within(T0 - opts.maxAgeMs, T0 + opts.maxFutureSkewMs);
    expect(r.sensorId).to.match(ID_PATTERN);
    expect(r.assetId).to.match(ID_PATTERN);
    if (r.humidityPct !== null) expect(r.humidityPct).to.be.within(0, 100);
  }
  // A single-reading topic yields exactly one outcome; a batch one per item (or one for the
  // whole message); only a valid empty batch may yield nothing.
  const outcomes = res.readings.length + res.deadLetters.length;
  if (topic === SINGLE) expect(outcomes).to.equal(1);
  else if (outcomes === 0)
    expect(JSON.parse(Buffer.from(payload).toString())).to.deep.include({ v: 1, gateway: 'gw1', readings: [] });
  else if (topic === BATCH && res.deadLetters.every((d) => d.index !== undefined)) {
    const items = (JSON.parse(Buffer.from(payload).toString()) as { readings: unknown[] }).readings;
    expect(outcomes).to.equal(items.length);
  }
}

describe('coldchain/telemetry: fuzz (seeded)', () => {
  for (const seed of [1, 2, 3, 42, 2025]) {
    it(`never throws and upholds the contract on 2,000 junk messages (seed ${seed})`, () => {
      const gen = makeGen(seededRandom(seed));
      let accepted = 0;
      const reasons = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const topic = gen.topic();
        const payload = gen.payload();
        let res: ParseResult | undefined;
        expect(() => {
          res = parseTelemetryMessage(topic, payload, opts);
        }).to.not.throw();
        if (!res) throw new Error('no result');
        checkInvariants(topic, payload, res);
        accepted += res.readings.length;
        res.deadLetters.forEach((d) => reasons.add(d.reason));
      }
      // The generator must exercise both paths, or the test proves nothing.
      expect(accepted).to.be.greaterThan(20);
      expect([...reasons]).to.include.members([
        'malformed_json',
        'invalid_encoding',
        'schema_violation',
        'impossible_value',
        'bad_topic',
        'too_old',
      ]);
    });
  }

  it('survives inputs that are not even the declared types', () => {
    const weird: unknown[] = [undefined, null, 'a string', 42, {}, [1, 2]];
    for (const p of weird) {
      const res = parseTelemetryMessage(SINGLE, p as Uint8Array, opts);
      expect(res.readings).to.have.length(0);
      expect(res.deadLetters[0]?.reason).to.equal('schema_violation');
    }
    const res = parseTelemetryMessage(undefined as unknown as string, Buffer.from('{}'), opts);
    expect(res.deadLetters[0]?.reason).to.equal('bad_topic');
  });

  it('handles deeply nested JSON without throwing', () => {
    const deep = '['.repeat(2000) + ']'.repeat(2000);
    const res = parseTelemetryMessage(SINGLE, Buffer.from(deep), opts);
    expect(res.deadLetters[0]?.reason).to.equal('schema_violation');
  });
});
