// Structure-aware fuzzing of the telemetry parser, beside the junk fuzz in
// test/unit/coldchain/telemetry.fuzz.test.ts: batches are built item by item with a known
// verdict for each (valid, or broken in one specific way), so the parser's answer can be
// checked exactly: which readings come out, in which order, with which values, and which items
// become dead letters with which reason, index and sensor. Then envelope mutations with their
// expected verdict, byte-level mutations of valid batches and topic mutations, where only the
// contract's invariants can be checked. Seeded: a failure names its seed and reproduces.
import { expect } from 'chai';
import {
  ID_PATTERN,
  TEMP_RANGE_C,
  batchTopic,
  parseTelemetryMessage,
  readingTopic,
} from '../../../domain/coldchain/telemetry';
import type { DeadLetterReason, ParseResult, Reading } from '../../../domain/coldchain/telemetry';
import { T0, seededRandom } from '../coldchain/helpers';

const LIMITS = {
  now: T0,
  maxFutureSkewMs: 60_000,
  maxAgeMs: 3_600_000,
  maxPayloadBytes: 64 * 1024,
  maxBatchReadings: 200,
  maxRawBytes: 256,
};
const NODE = 'fw-01';
const GATEWAY = 'gw-7';
const BATCH = batchTopic(NODE, GATEWAY);

/** One batch item as JSON text, and what the parser must make of it. */
interface Item {
  json: string;
  expect: { reading: Reading } | { reason: DeadLetterReason; sensorId?: string };
}

function generator(seed: number) {
  const rand = seededRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const sensor = () => `s${int(40)}`;
  const validTs = () => T0 - int(LIMITS.maxAgeMs - 1000) + int(LIMITS.maxFutureSkewMs - 1000);
  const temp = () => Math.round((rand() * 30 - 25) * 100) / 100;

  /** A valid item: fields in random order, optional fields present, null or absent, an unknown field sometimes. */
  const valid = (): Item => {
    const sensorId = sensor();
    const ts = validTs();
    const asIso = rand() < 0.3;
    const fields: [string, string][] = [
      ['sensor', JSON.stringify(sensorId)],
      ['asset', '"a1"'],
      ['ts', asIso ? JSON.stringify(new Date(ts).toISOString()) : String(ts)],
      ['temp_c', JSON.stringify(temp())],
    ];
    const reading: Reading = {
      sensorId,
      assetId: 'a1',
      nodeId: NODE,
      ts,
      tempC: 0,
      humidityPct: null,
      doorOpen: null,
      batteryPct: null,
      defrost: null,
      seq: null,
    };
    reading.tempC = JSON.parse(fields[3]![1]) as number;
    const optional = (key: string, value: () => unknown, set: (v: never) => void) => {
      const r = rand();
      if (r < 0.4) {
        const v = value();
        fields.push([key, JSON.stringify(v)]);
        set(v as never);
      } else if (r < 0.55) fields.push([key, 'null']);
    };
    optional(
      'humidity_pct',
      () => Math.round(rand() * 10000) / 100,
      (v) => (reading.humidityPct = v),
    );
    optional(
      'door_open',
      () => rand() < 0.5,
      (v) => (reading.doorOpen = v),
    );
    optional(
      'battery_pct',
      () => int(101),
      (v) => (reading.batteryPct = v),
    );
    optional(
      'defrost',
      () => rand() < 0.5,
      (v) => (reading.defrost = v),
    );
    optional(
      'seq',
      () => int(1_000_000),
      (v) => (reading.seq = v),
    );
    if (rand() < 0.2)
      fields.push([pick(['fw', 'rssi', 'x', 'note']), JSON.stringify(pick([1, 'v2.1', { a: [1] }, null]))]);
    for (let i = fields.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [fields[i], fields[j]] = [fields[j]!, fields[i]!];
    }
    return { json: `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`, expect: { reading } };
  };

  /** Replace (or drop, with undefined) one field of a valid item's JSON. */
  const withField = (item: Item, key: string, raw: string | undefined): string => {
    const obj = JSON.parse(item.json) as Record<string, unknown>;
    const entries = Object.entries(obj)
      .filter(([k]) => k !== key)
      .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    if (raw !== undefined) entries.splice(int(entries.length + 1), 0, `${JSON.stringify(key)}:${raw}`);
    return `{${entries.join(',')}}`;
  };

  /** A broken item: one specific fault, and the verdict the contract gives it. */
  const broken = (): Item => {
    const base = valid();
    const sensorId = 'reading' in base.expect ? base.expect.reading.sensorId : '';
    const dead = (json: string, reason: DeadLetterReason, sensorKnown = true): Item => ({
      json,
      expect: sensorKnown ? { reason, sensorId } : { reason },
    });
    const faults: (() => Item)[] = [
      () =>
        dead(
          withField(base, 'temp_c', pick(['80.01', '-60.5', '1e3', '-1e999', '1e999', '9007199254740993'])),
          'impossible_value',
        ),
      () => dead(withField(base, 'humidity_pct', pick(['100.5', '-0.1', '1e999'])), 'impossible_value'),
      () => dead(withField(base, 'battery_pct', pick(['101', '-1'])), 'impossible_value'),
      () => dead(withField(base, 'temp_c', undefined), 'schema_violation'),
      () => dead(withField(base, 'temp_c', pick(['"4.5"', 'true', '[4]', '{}', 'null'])), 'schema_violation'),
      () => dead(withField(base, 'ts', undefined), 'schema_violation'),
      () =>
        dead(
          withField(
            base,
            'ts',
            pick(['"2025-06-01T12:00:00"', '"yesterday"', '-5', '1.5', '1e999', 'true', '"2025-06-01 12:00:00Z"']),
          ),
          'schema_violation',
        ),
      () => dead(withField(base, 'ts', String(T0 - LIMITS.maxAgeMs - 1 - int(1e9))), 'too_old'),
      () =>
        dead(withField(base, 'ts', JSON.stringify(new Date(T0 - LIMITS.maxAgeMs - 60_000).toISOString())), 'too_old'),
      () => dead(withField(base, 'ts', String(T0 + LIMITS.maxFutureSkewMs + 1 + int(1e6))), 'clock_skew'),
      () => dead(withField(base, 'seq', pick(['-1', '0.5', '"7"'])), 'schema_violation'),
      () => dead(withField(base, 'door_open', pick(['1', '"yes"'])), 'schema_violation'),
      () => dead(withField(base, 'asset', pick(['"a/1"', '"+"', '""', '7'])), 'schema_violation'),
      () =>
        dead(
          withField(
            base,
            'sensor',
            pick(['"s/1"', '"#"', '"$SYS"', '""', `"${'x'.repeat(65)}"`, '"sеnsor"', '"\\ud800"', '" s1"']),
          ),
          'schema_violation',
          false,
        ),
      () => dead(withField(base, 'sensor', undefined), 'schema_violation', false),
      () => dead(pick(['null', '42', '"s1"', '[]', '[{"sensor":"s1"}]', 'true']), 'schema_violation', false),
      // Two faults at once: a structural one wins over an impossible measurement.
      () => dead(withField({ ...base, json: withField(base, 'temp_c', '99') }, 'seq', '-3'), 'schema_violation'),
    ];
    return pick(faults)();
  };

  return { rand, int, pick, valid, broken };
}

function batchOf(items: readonly Item[], envelope: { v?: string; gateway?: string } = {}): Uint8Array {
  return Buffer.from(
    `{"v":${envelope.v ?? '1'},"gateway":${envelope.gateway ?? JSON.stringify(GATEWAY)},"readings":[${items.map((i) => i.json).join(',')}]}`,
    'utf8',
  );
}

function parse(topic: string, payload: Uint8Array): ParseResult {
  let res: ParseResult | undefined;
  expect(() => {
    res = parseTelemetryMessage(topic, payload, LIMITS);
  }).to.not.throw();
  return res!;
}

/** What holds for any message: no internal errors, readings inside the contract, bounded raw copies. */
function invariants(topic: string, res: ParseResult): void {
  for (const d of res.deadLetters) {
    expect(d.reason, d.detail).to.not.equal('internal_error');
    expect(d.topic).to.equal(topic);
    if (d.raw !== undefined) expect(d.raw.byteLength).to.be.at.most(LIMITS.maxRawBytes);
    if (d.sensorId !== undefined) expect(d.sensorId).to.match(ID_PATTERN);
  }
  for (const r of res.readings) {
    expect(r.tempC).to.be.within(TEMP_RANGE_C.min, TEMP_RANGE_C.max);
    expect(r.ts).to.be.within(T0 - LIMITS.maxAgeMs, T0 + LIMITS.maxFutureSkewMs);
    expect(r.sensorId).to.match(ID_PATTERN);
    expect(r.assetId).to.match(ID_PATTERN);
    expect(r.nodeId).to.equal(NODE);
  }
}

describe('fuzz: MQTT telemetry payloads (structure-aware, seeded)', () => {
  for (const seed of [7, 99, 1234, 31337]) {
    it(`accounts for every item of 400 mixed batches exactly (seed ${seed})`, () => {
      const g = generator(seed);
      const seen = new Set<string>();
      for (let n = 0; n < 400; n++) {
        const items = Array.from({ length: g.int(30) }, () => (g.rand() < 0.55 ? g.valid() : g.broken()));
        const res = parse(BATCH, batchOf(items));
        invariants(BATCH, res);
        const want = items.map((it, index) => ({ ...it.expect, index }));
        const wantReadings = want.flatMap((w) => ('reading' in w ? [w.reading] : []));
        expect(res.readings, `seed ${seed} batch ${n}: readings`).to.deep.equal(wantReadings);
        const wantDead = want.flatMap((w) =>
          'reason' in w ? [{ index: w.index, reason: w.reason, sensorId: w.sensorId }] : [],
        );
        expect(
          res.deadLetters.map((d) => ({ index: d.index, reason: d.reason, sensorId: d.sensorId })),
          `seed ${seed} batch ${n}: ${items.map((i) => i.json).join(' | ')}`,
        ).to.deep.equal(wantDead);
        for (const d of res.deadLetters) {
          seen.add(d.reason);
          expect(
            () => new TextDecoder('utf-8', { fatal: true }).decode(d.raw),
            'a batch item is kept as its JSON',
          ).to.not.throw();
          expect(d.detail.length).to.be.greaterThan(0);
        }
      }
      // The generator reached every per-item verdict, or the test would prove less than it says.
      expect([...seen].sort()).to.deep.equal(['clock_skew', 'impossible_value', 'schema_violation', 'too_old']);
    });
  }

  it('gives envelope faults one dead letter for the whole message, with the contract’s reason', () => {
    const g = generator(5);
    const items = Array.from({ length: 5 }, () => g.valid());
    const cases: [string, Uint8Array, DeadLetterReason][] = [
      ['gateway differs from the topic', batchOf(items, { gateway: '"gw-8"' }), 'bad_topic'],
      ['version 2', batchOf(items, { v: '2' }), 'unknown_version'],
      ['version "1" as a string', batchOf(items, { v: '"1"' }), 'unknown_version'],
      [
        'duplicate v: the last one wins',
        Buffer.from(`{"v":1,"v":3,"gateway":"${GATEWAY}","readings":[]}`),
        'unknown_version',
      ],
      ['no version', Buffer.from(`{"gateway":"${GATEWAY}","readings":[]}`), 'schema_violation'],
      [
        'readings not an array',
        Buffer.from(`{"v":1,"gateway":"${GATEWAY}","readings":{"0":${items[0]!.json}}}`),
        'schema_violation',
      ],
      ['gateway not an id', batchOf(items, { gateway: '"gw/8"' }), 'schema_violation'],
      ['a top-level array', Buffer.from(`[${items[0]!.json}]`), 'schema_violation'],
      ['trailing garbage', Buffer.concat([batchOf(items), Buffer.from('}')]), 'malformed_json'],
      ['two messages glued together', Buffer.concat([batchOf(items), batchOf(items)]), 'malformed_json'],
      [
        'invalid UTF-8 inside a string',
        Buffer.concat([
          Buffer.from(`{"v":1,"gateway":"${GATEWAY}","readings":[{"sensor":"s`),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}]}'),
        ]),
        'invalid_encoding',
      ],
      [
        'an overlong UTF-8 encoding of "/"',
        Buffer.concat([
          Buffer.from(`{"v":1,"gateway":"gw`),
          Buffer.from([0xc0, 0xaf]),
          Buffer.from('7","readings":[]}'),
        ]),
        'invalid_encoding',
      ],
      [
        'more readings than allowed',
        batchOf(Array.from({ length: LIMITS.maxBatchReadings + 1 }, () => items[0]!)),
        'payload_too_large',
      ],
      [
        'more bytes than allowed',
        batchOf([
          {
            json: `{"sensor":"s1","pad":"${'x'.repeat(LIMITS.maxPayloadBytes)}"}`,
            expect: { reason: 'schema_violation' },
          },
        ]),
        'payload_too_large',
      ],
    ];
    for (const [what, payload, reason] of cases) {
      const res = parse(BATCH, payload);
      invariants(BATCH, res);
      expect(res.readings, what).to.deep.equal([]);
      expect(
        res.deadLetters.map((d) => d.reason),
        what,
      ).to.deep.equal([reason]);
      expect(res.deadLetters[0]!.index, what).to.equal(undefined);
    }
    // A UTF-8 byte-order mark is dropped by the decoder: the batch reads as without it.
    const bom = parse(BATCH, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), batchOf(items)]));
    expect(bom).to.deep.equal(parse(BATCH, batchOf(items)));
    expect(bom.readings).to.have.length(5);
    // The limits are inclusive: exactly maxBatchReadings readings are all parsed.
    const full = parse(BATCH, batchOf(Array.from({ length: LIMITS.maxBatchReadings }, () => items[0]!)));
    expect(full.readings).to.have.length(LIMITS.maxBatchReadings);
  });

  it('survives byte-level mutations of valid batches: flips, cuts, splices, repeats', () => {
    const g = generator(2024);
    const outcomes = new Map<string, number>();
    for (let n = 0; n < 3000; n++) {
      const items = Array.from({ length: 1 + g.int(12) }, () => (g.rand() < 0.8 ? g.valid() : g.broken()));
      const bytes = Buffer.from(batchOf(items));
      const other = Buffer.from(batchOf([g.valid()]));
      let mutated: Buffer;
      const at = g.int(bytes.length);
      switch (g.int(7)) {
        case 0:
          mutated = Buffer.from(bytes);
          mutated[at] = mutated[at]! ^ (1 << g.int(8));
          break;
        case 1:
          mutated = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + g.int(8))]);
          break;
        case 2:
          mutated = Buffer.concat([bytes.subarray(0, at), Buffer.from([g.int(256)]), bytes.subarray(at)]);
          break;
        case 3:
          mutated = bytes.subarray(0, at);
          break;
        case 4:
          mutated = Buffer.concat([bytes.subarray(0, at), other.subarray(g.int(other.length))]);
          break;
        case 5:
          mutated = Buffer.concat([
            bytes.subarray(0, at),
            Buffer.from(
              g.pick(['"', '\\', ',', ']', '}', '{', '[', '\\u0000', 'e999', '-', '.', ':null', '\u00ff', '💥']),
            ),
            bytes.subarray(at),
          ]);
          break;
        default: {
          const len = 1 + g.int(20);
          mutated = Buffer.concat([
            bytes.subarray(0, at + len),
            bytes.subarray(at, at + len),
            bytes.subarray(at + len),
          ]);
        }
      }
      const res = parse(BATCH, mutated);
      invariants(BATCH, res);
      // One verdict per item of a readable batch, or one for the whole message.
      const perItem = res.deadLetters.every((d) => d.index !== undefined);
      if (!perItem) expect(res.readings.length + res.deadLetters.length).to.equal(1);
      else {
        const parsed = JSON.parse(mutated.toString('utf8')) as { readings: unknown[] };
        expect(res.readings.length + res.deadLetters.length).to.equal(parsed.readings.length);
        expect(res.deadLetters.map((d) => d.index)).to.deep.equal([...new Set(res.deadLetters.map((d) => d.index))]);
      }
      const key = perItem ? (res.readings.length ? 'readings' : 'per-item dead letters') : res.deadLetters[0]!.reason;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      // The same bytes always give the same answer (the parser is pure).
      if (n % 50 === 0) expect(parse(BATCH, mutated)).to.deep.equal(res);
    }
    for (const k of ['readings', 'malformed_json', 'invalid_encoding'])
      expect(outcomes.get(k) ?? 0, `${k} (${JSON.stringify([...outcomes])})`).to.be.greaterThan(20);
  });

  it('refuses mutated topics with a single bad_topic (or names the topic’s own sensor)', () => {
    const g = generator(77);
    const single = readingTopic(NODE, 'a1', 's1');
    const payload = Buffer.from(`{"v":1,"ts":${T0},"temp_c":3.5}`);
    const segments = (t: string) => t.split('/');
    let accepted = 0;
    for (let n = 0; n < 2000; n++) {
      const parts = segments(g.rand() < 0.5 ? single : BATCH);
      const at = g.int(parts.length);
      switch (g.int(5)) {
        case 0:
          parts[at] = g.pick(['', '+', '#', '$SYS', 'a b', 'é', 'x'.repeat(65), 's:1', '..', 'ok-id']);
          break;
        case 1:
          parts.splice(at, 1);
          break;
        case 2:
          parts.splice(at, 0, g.pick(['extra', '', '+']));
          break;
        case 3:
          parts[at] = parts[at]!.toUpperCase();
          break;
        default:
          break;
      }
      const topic = parts.join('/');
      const res = parse(topic, payload);
      expect(res.readings.length + res.deadLetters.length, topic).to.equal(1);
      for (const d of res.deadLetters) {
        expect(d.reason, topic).to.not.equal('internal_error');
        expect(d.topic).to.equal(topic);
      }
      if (res.readings.length) {
        accepted++;
        const [, , kind, node, asset, sensor] = segments(topic);
        expect(kind).to.equal('telemetry');
        expect(res.readings[0]).to.include({ nodeId: node, assetId: asset, sensorId: sensor, ts: T0, tempC: 3.5 });
      }
    }
    expect(accepted).to.be.greaterThan(100);
  });
});
