// Property-based tests (fast-check) of the telemetry parsers against hostile input: NUL bytes,
// invalid UTF-8, lone surrogates, huge and non-finite numbers, far dates, `__proto__` keys,
// deep nesting. What must hold for any input: the parsers never throw, never report an
// internal error, every string they return can be stored in a PostgreSQL text column, and
// valid input comes out exactly as it went in.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  DEFAULT_PARSE_LIMITS,
  ID_PATTERN,
  TEMP_RANGE_C,
  batchTopic,
  parseTelemetryMessage,
  parseTopic,
  readingTopic,
  topicFor,
  topicScheme,
} from '../../../domain/coldchain/telemetry';
import { loadConfig } from '../../../config';
import type { ParseResult, Reading, TopicAddress } from '../../../domain/coldchain/telemetry';
import { isStorableText, storableText } from '../../../domain/text';
import { T0 } from '../coldchain/helpers';

const opts = { now: T0 };
const DAY = 86_400_000;

/** Strings that mix ordinary text with what breaks storage: NUL, lone surrogates, control characters, astral characters. */
const hostileChar = fc.oneof(
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '\udbff',
    '\udc00',
    '\udfff',
    '\u0001',
    '\u001f',
    '\u007f',
    '\ufffd',
    '\ufeff',
    '/',
    '+',
    '#',
    '$',
    '"',
    '\\',
    '💥',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);
const hostileString = fc.array(hostileChar, { maxLength: 40 }).map((cs) => cs.join(''));
const id = fc.stringMatching(ID_PATTERN);

/** Topics: real ones, real ones with a hostile segment, and junk. */
const topic = fc.oneof(
  fc.tuple(id, id, id).map(([n, a, s]) => readingTopic(n, a, s)),
  fc.tuple(id, id).map(([n, g]) => batchTopic(n, g)),
  fc.tuple(id, id, hostileString).map(([n, a, s]) => `freshchain/v1/telemetry/${n}/${a}/${s}`),
  fc.tuple(hostileString, hostileString).map(([v, k]) => `freshchain/${v}/${k}/x/y/z`),
  hostileString,
);

/** JSON values with hostile strings, `__proto__`/`constructor` keys and extreme numbers. */
const { value: hostileJson } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -0,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER,
      2 ** 63,
      -500,
      1e-320,
      T0,
      0,
      T0 + 10 * 365 * DAY,
    ),
    fc.double(),
    hostileString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          '__proto__',
          'constructor',
          'prototype',
          'v',
          'ts',
          'temp_c',
          'readings',
          'gateway',
          'sensor',
          'asset',
        ),
        hostileString,
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
}));

/** Reading-shaped objects with one or more fields replaced by hostile values. */
const almostReading = fc.record(
  {
    v: fc.oneof(fc.constant(1), hostileJson),
    ts: fc.oneof(
      fc.integer({ min: T0 - 2 * DEFAULT_PARSE_LIMITS.maxAgeMs, max: T0 + DAY }),
      fc.constantFrom(0, -1, 8.64e15, 1e308, T0 + 10 * 365 * DAY),
      hostileString,
      fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid' : d.toISOString())),
    ),
    temp_c: fc.oneof(
      fc.double({ min: -100, max: 100 }),
      fc.constantFrom(-500, 1e308, -1e308, -273.15, 80.0001),
      hostileJson,
    ),
    humidity_pct: fc.option(fc.oneof(fc.double(), hostileJson)),
    seq: fc.option(fc.oneof(fc.integer(), fc.constant(2 ** 64), hostileString)),
  },
  { requiredKeys: [] },
);

/** Payload bytes: random bytes, invalid UTF-8 around JSON, JSON text of hostile values, and NUL-led JSON. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .tuple(fc.uint8Array({ maxLength: 4 }), almostReading, fc.uint8Array({ maxLength: 4 }))
    .map(([a, r, b]) => Buffer.concat([a, Buffer.from(JSON.stringify(r)), b])),
  almostReading.map((r) => Buffer.from(JSON.stringify(r))),
  hostileJson.map((j) => Buffer.from(JSON.stringify(j) ?? 'null')),
  fc
    .tuple(id, fc.array(fc.oneof(almostReading, hostileJson), { maxLength: 20 }))
    .map(([gw, readings]) => Buffer.from(JSON.stringify({ v: 1, gateway: gw, readings }))),
  hostileString.map((s) => Buffer.from(`\u0000\u0001${s}{"t":1}`)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
);

function expectStorable(res: ParseResult): void {
  for (const d of res.deadLetters) {
    expect(d.reason).to.not.equal('internal_error');
    for (const s of [d.topic, d.detail, d.sensorId ?? '']) expect(isStorableText(s), JSON.stringify(s)).to.equal(true);
    if (d.raw !== undefined) expect(d.raw).to.be.instanceOf(Uint8Array);
  }
  for (const r of res.readings) {
    for (const s of [r.sensorId, r.assetId, r.nodeId]) expect(s).to.match(ID_PATTERN);
    expect(r.tempC).to.be.within(TEMP_RANGE_C.min, TEMP_RANGE_C.max);
    expect(r.ts).to.be.within(T0 - DEFAULT_PARSE_LIMITS.maxAgeMs, T0 + DEFAULT_PARSE_LIMITS.maxFutureSkewMs);
  }
}

describe('property: telemetry parsers against hostile input (fast-check)', () => {
  it('parseTelemetryMessage never throws and returns only storable strings, whatever the topic and bytes', () => {
    fc.assert(
      fc.property(topic, payload, (t, p) => {
        const res = parseTelemetryMessage(t, p, opts);
        expect(res.readings.length + res.deadLetters.length).to.be.greaterThan(0);
        expectStorable(res);
      }),
      { numRuns: 3000 },
    );
  });

  it('dead letters keep the payload bytes exactly as received', () => {
    fc.assert(
      fc.property(fc.tuple(id, id, id), fc.uint8Array({ maxLength: 300 }), ([n, a, s], p) => {
        const res = parseTelemetryMessage(readingTopic(n, a, s), p, opts);
        for (const d of res.deadLetters) {
          expect(Buffer.from(d.raw!)).to.deep.equal(Buffer.from(p));
          expect(d.rawSize).to.equal(p.byteLength);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a valid single reading round-trips: the parser returns exactly what was sent', () => {
    fc.assert(
      fc.property(
        fc.tuple(id, id, id),
        fc.record({
          ts: fc.integer({ min: T0 - DEFAULT_PARSE_LIMITS.maxAgeMs, max: T0 + DEFAULT_PARSE_LIMITS.maxFutureSkewMs }),
          tempC: fc.double({ min: TEMP_RANGE_C.min, max: TEMP_RANGE_C.max, noNaN: true }),
          humidityPct: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
          doorOpen: fc.option(fc.boolean()),
          batteryPct: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
          defrost: fc.option(fc.boolean()),
          seq: fc.option(fc.nat()),
        }),
        fc.boolean(),
        ([nodeId, assetId, sensorId], r, asIso) => {
          const body = {
            v: 1,
            ts: asIso ? new Date(r.ts).toISOString() : r.ts,
            temp_c: r.tempC,
            humidity_pct: r.humidityPct,
            door_open: r.doorOpen,
            battery_pct: r.batteryPct,
            defrost: r.defrost,
            seq: r.seq,
          };
          const res = parseTelemetryMessage(
            readingTopic(nodeId, assetId, sensorId),
            Buffer.from(JSON.stringify(body)),
            opts,
          );
          // JSON has no -0: it comes back as 0.
          const want: Reading = { sensorId, assetId, nodeId, ...r, tempC: r.tempC === 0 ? 0 : r.tempC };
          for (const k of ['humidityPct', 'batteryPct'] as const) if (want[k] === 0) want[k] = 0;
          expect(res).to.deep.equal({ readings: [want], deadLetters: [] });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a valid gateway batch round-trips, in order', () => {
    fc.assert(
      fc.property(
        id,
        id,
        fc.array(
          fc.record({
            sensor: id,
            asset: id,
            ts: fc.integer({ min: T0 - DAY, max: T0 }),
            temp_c: fc.integer({ min: -60, max: 80 }),
          }),
          { maxLength: 50 },
        ),
        (nodeId, gw, items) => {
          const res = parseTelemetryMessage(
            batchTopic(nodeId, gw),
            Buffer.from(JSON.stringify({ v: 1, gateway: gw, readings: items })),
            opts,
          );
          expect(res.deadLetters).to.deep.equal([]);
          expect(res.readings.map((r) => [r.sensorId, r.assetId, r.nodeId, r.ts, r.tempC])).to.deep.equal(
            items.map((i) => [i.sensor, i.asset, nodeId, i.ts, i.temp_c]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parseTopic never throws, its details are storable, and built topics parse back to their address', () => {
    fc.assert(
      fc.property(fc.oneof(topic, hostileJson), (t) => {
        const res = parseTopic(t);
        if (!res.ok) expect(isStorableText(res.detail), JSON.stringify(res.detail)).to.equal(true);
      }),
      { numRuns: 3000 },
    );
    const address: fc.Arbitrary<TopicAddress> = fc.oneof(
      fc.record({ kind: fc.constant('telemetry' as const), nodeId: id, assetId: id, sensorId: id }),
      fc.record({ kind: fc.constant('batch' as const), nodeId: id, gatewayId: id }),
    );
    fc.assert(
      fc.property(address, (a) => void expect(parseTopic(topicFor(a))).to.deep.equal({ ok: true, address: a })),
      { numRuns: 1000 },
    );
  });

  it('a topic namespace: its topics parse back in it and in no other; a bad prefix is refused, by the scheme and the config', () => {
    const address: fc.Arbitrary<TopicAddress> = fc.oneof(
      fc.record({ kind: fc.constant('telemetry' as const), nodeId: id, assetId: id, sensorId: id }),
      fc.record({ kind: fc.constant('batch' as const), nodeId: id, gatewayId: id }),
    );
    const prefix = fc.oneof(fc.constant(''), id);
    fc.assert(
      fc.property(prefix, prefix, address, (mine, other, a) => {
        const topics = topicScheme(mine);
        const t = topics.topicFor(a);
        expect(topics.parseTopic(t)).to.deep.equal({ ok: true, address: a });
        expect(t.startsWith(`${topics.root}/`)).to.equal(true);
        if (other !== mine) expect(topicScheme(other).parseTopic(t).ok, `${t} read as ${other}`).to.equal(false);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(hostileString, (p) => {
        fc.pre(p !== '' && !ID_PATTERN.test(p));
        expect(() => topicScheme(p)).to.throw(RangeError, /topic prefix/);
        expect(() => loadConfig({ MQTT_TOPIC_PREFIX: p })).to.throw(/MQTT_TOPIC_PREFIX/);
      }),
      { numRuns: 500 },
    );
    expect(loadConfig({ MQTT_TOPIC_PREFIX: 'staging' }).mqtt.topicPrefix).to.equal('staging');
    expect(loadConfig({}).mqtt.topicPrefix).to.equal('');
  });

  it('survives the named hostile payloads: 5,000-deep nesting, 256 KiB strings, __proto__ keys, 5,000-reading garbage batches', () => {
    const t = readingTopic('n1', 'a1', 's1');
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const cases: [string, Buffer, string][] = [
      ['deep nesting', Buffer.from(deep), 'schema_violation'],
      ['deep nesting in a batch item', Buffer.from(`{"v":1,"gateway":"gw","readings":[${deep}]}`), 'schema_violation'],
      [
        '256 KiB string',
        Buffer.from(JSON.stringify({ v: 1, ts: T0, temp_c: 'x'.repeat(256 * 1024 - 40) })),
        'schema_violation',
      ],
      ['__proto__ key', Buffer.from('{"v":1,"ts":' + T0 + ',"temp_c":4,"__proto__":{"polluted":1}}'), 'accepted'],
      [
        '__proto__ as the whole reading',
        Buffer.from('{"__proto__":{"v":1,"ts":' + T0 + ',"temp_c":4}}'),
        'schema_violation',
      ],
      [
        '5,000 garbage readings',
        Buffer.from(
          JSON.stringify({
            v: 1,
            gateway: 'gw',
            readings: Array.from({ length: 5000 }, (_, i) => ({ sensor: '\u0000', x: i })),
          }),
        ),
        'payload_too_large',
      ],
    ];
    for (const [name, bytes, want] of cases) {
      const topicOf = name.includes('batch') || name.includes('garbage') ? batchTopic('n1', 'gw') : t;
      const res = parseTelemetryMessage(topicOf, bytes, opts);
      expectStorable(res);
      if (want === 'accepted') expect(res.readings, name).to.have.length(1);
      else
        expect(
          res.deadLetters.map((d) => d.reason),
          name,
        ).to.deep.equal([want]);
    }
    expect(({} as Record<string, unknown>).polluted, 'no prototype pollution').to.equal(undefined);
  });

  it('storableText makes any string storable, leaves storable ones alone, and clips without splitting a pair', () => {
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 0, max: 50 }), (s, max) => {
        const out = storableText(s, max);
        expect(isStorableText(out)).to.equal(true);
        expect(out.length).to.be.at.most(max + 1);
        if (isStorableText(s) && s.length <= max) expect(out).to.equal(s);
        expect(() => Buffer.from(out, 'utf8').toString('utf8') === out).to.not.throw();
      }),
      { numRuns: 3000 },
    );
    expect(storableText('a\u0000b\ud800c\udc00')).to.equal('a\ufffdb\ufffdc\ufffd');
    expect(storableText('\ud83d\udca5', 10)).to.equal('\ud83d\udca5');
  });
});
