import { expect } from 'chai';
import {
  DEFAULT_PARSE_LIMITS,
  batchTopic,
  parseTelemetryMessage,
  parseTopic,
  readingTopic,
  sharedTopic,
  topicFor,
  readingFilter,
  batchFilter,
} from '../../../domain/coldchain/telemetry';
import type { DeadLetterReason, ParseOptions, ParseResult } from '../../../domain/coldchain/telemetry';
import { T0 } from './helpers';

const TOPIC = readingTopic('fw-sh-01', 'fridge-1', 's1');
const BATCH = batchTopic('fw-sh-01', 'gw-7');
const opts: ParseOptions = { now: T0, maxFutureSkewMs: 60_000, maxAgeMs: 3_600_000 };
const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');
const parse = (payload: unknown, topic = TOPIC, o: ParseOptions = opts): ParseResult =>
  parseTelemetryMessage(topic, bytes(payload), o);
const good = { v: 1, ts: T0 - 1000, temp_c: 3.5 };

function expectRejected(result: ParseResult, reason: DeadLetterReason): void {
  expect(result.readings, 'readings').to.have.length(0);
  expect(result.deadLetters.map((d) => d.reason)).to.deep.equal([reason]);
}

describe('coldchain/telemetry: topics', () => {
  it('builds and parses the single-reading and batch topics', () => {
    expect(TOPIC).to.equal('freshchain/v1/telemetry/fw-sh-01/fridge-1/s1');
    expect(BATCH).to.equal('freshchain/v1/batch/fw-sh-01/gw-7');
    expect(parseTopic(TOPIC)).to.deep.equal({
      ok: true,
      address: { kind: 'telemetry', nodeId: 'fw-sh-01', assetId: 'fridge-1', sensorId: 's1' },
    });
    expect(parseTopic(BATCH)).to.deep.equal({
      ok: true,
      address: { kind: 'batch', nodeId: 'fw-sh-01', gatewayId: 'gw-7' },
    });
    expect(topicFor({ kind: 'batch', nodeId: 'n', gatewayId: 'g' })).to.equal('freshchain/v1/batch/n/g');
  });

  it('refuses to build topics from ids that are wildcards, separators or reserved', () => {
    for (const bad of ['', '+', '#', 'a/b', '$SYS', 'a:b', 'x'.repeat(65)]) {
      expect(() => readingTopic('n', 'a', bad), bad).to.throw(RangeError);
    }
  });

  it('builds shared subscriptions and filters', () => {
    expect(sharedTopic('ingest', readingFilter())).to.equal('$share/ingest/freshchain/v1/telemetry/+/+/+');
    expect(sharedTopic('ingest', batchFilter('fw-1'))).to.equal('$share/ingest/freshchain/v1/batch/fw-1/+');
    expect(() => sharedTopic('a/b', 'x')).to.throw(RangeError);
    expect(() => sharedTopic('g+', 'x')).to.throw(RangeError);
  });
});

describe('coldchain/telemetry: single readings', () => {
  it('parses a valid reading with epoch ms and every optional field', () => {
    const r = parse({ ...good, seq: 42, humidity_pct: 91.5, door_open: false, battery_pct: 77, defrost: true });
    expect(r.deadLetters).to.deep.equal([]);
    expect(r.readings).to.deep.equal([
      {
        sensorId: 's1',
        assetId: 'fridge-1',
        nodeId: 'fw-sh-01',
        ts: T0 - 1000,
        tempC: 3.5,
        humidityPct: 91.5,
        doorOpen: false,
        batteryPct: 77,
        defrost: true,
        seq: 42,
      },
    ]);
  });

  it('parses ISO-8601 timestamps with Z or an offset into epoch ms', () => {
    const iso = new Date(T0 - 60_000).toISOString(); // ...Z
    expect(parse({ ...good, ts: iso }).readings[0]?.ts).to.equal(T0 - 60_000);
    // 11:59:00Z written as 19:59:00+08:00 (Shanghai).
    expect(parse({ ...good, ts: '2025-06-01T19:59:00.000+08:00' }).readings[0]?.ts).to.equal(T0 - 60_000);
  });

  it('maps absent and null optional fields to null and ignores unknown fields', () => {
    const r = parse({ ...good, humidity_pct: null, firmware: '2.1', extra: { nested: true } });
    expect(r.readings[0]).to.include({ humidityPct: null, doorOpen: null, batteryPct: null, defrost: null, seq: null });
  });

  it('accepts the temperature range limits exactly', () => {
    expect(parse({ ...good, temp_c: -60 }).readings).to.have.length(1);
    expect(parse({ ...good, temp_c: 80 }).readings).to.have.length(1);
  });

  const rejections: [string, unknown, DeadLetterReason][] = [
    ['malformed JSON', '{"v":1,"ts":', 'malformed_json'],
    ['empty payload', '', 'malformed_json'],
    ['JSON array', [good], 'schema_violation'],
    ['JSON null', 'null', 'schema_violation'],
    ['JSON number', '42', 'schema_violation'],
    ['missing v', { ts: T0, temp_c: 3 }, 'schema_violation'],
    ['v = 2', { ...good, v: 2 }, 'unknown_version'],
    ['v = "1" (string)', { ...good, v: '1' }, 'unknown_version'],
    ['missing temp_c', { v: 1, ts: T0 }, 'schema_violation'],
    ['missing ts', { v: 1, temp_c: 3 }, 'schema_violation'],
    ['temp_c as string', { ...good, temp_c: '3.5' }, 'schema_violation'],
    ['door_open as 1', { ...good, door_open: 1 }, 'schema_violation'],
    ['ISO ts without offset', { ...good, ts: '2025-06-01T11:59:00' }, 'schema_violation'],
    ['impossible calendar date', { ...good, ts: '2025-02-30T11:59:00Z' }, 'schema_violation'],
    ['fractional epoch', { ...good, ts: T0 - 0.5 }, 'schema_violation'],
    ['negative seq', { ...good, seq: -1 }, 'schema_violation'],
    ['temp_c 80.1', { ...good, temp_c: 80.1 }, 'impossible_value'],
    ['temp_c -61', { ...good, temp_c: -61 }, 'impossible_value'],
    ['temp_c 1e999 (JSON overflow → Infinity)', `{"v":1,"ts":${T0},"temp_c":1e999}`, 'impossible_value'],
    ['humidity 101', { ...good, humidity_pct: 101 }, 'impossible_value'],
    ['humidity -0.1', { ...good, humidity_pct: -0.1 }, 'impossible_value'],
    ['battery 150', { ...good, battery_pct: 150 }, 'impossible_value'],
    ['ts 2 min in the future', { ...good, ts: T0 + 120_000 }, 'clock_skew'],
    ['ts 2 h old', { ...good, ts: T0 - 7_200_000 }, 'too_old'],
    ['ts in epoch seconds (looks like 1970)', { ...good, ts: Math.floor(T0 / 1000) }, 'too_old'],
  ];
  for (const [name, payload, reason] of rejections) {
    it(`dead-letters ${name} as ${reason}`, () => {
      const r = parse(payload);
      expectRejected(r, reason);
      expect(r.deadLetters[0]?.topic).to.equal(TOPIC);
      expect(r.deadLetters[0]?.sensorId).to.equal('s1');
      expect(r.deadLetters[0]?.detail).to.be.a('string').and.not.equal('');
    });
  }

  it('accepts timestamps exactly at the skew and age limits, and rejects 1 ms beyond', () => {
    expect(parse({ ...good, ts: T0 + 60_000 }).readings).to.have.length(1);
    expect(parse({ ...good, ts: T0 - 3_600_000 }).readings).to.have.length(1);
    expectRejected(parse({ ...good, ts: T0 + 60_001 }), 'clock_skew');
    expectRejected(parse({ ...good, ts: T0 - 3_600_001 }), 'too_old');
  });

  it('uses the default limits when only now is given', () => {
    const r = parseTelemetryMessage(TOPIC, bytes({ ...good, ts: T0 - DEFAULT_PARSE_LIMITS.maxAgeMs - 1 }), { now: T0 });
    expectRejected(r, 'too_old');
  });

  it('dead-letters non-UTF-8 bytes as invalid_encoding with the raw bytes as received', () => {
    const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const r = parseTelemetryMessage(TOPIC, raw, opts);
    expectRejected(r, 'invalid_encoding');
    expect(Buffer.from(r.deadLetters[0]!.raw!)).to.deep.equal(raw);
    expect(r.deadLetters[0]?.rawSize).to.equal(4);
  });

  it('dead-letters payloads over the byte limit before decoding them, with their first bytes and their size', () => {
    const big = Buffer.alloc(DEFAULT_PARSE_LIMITS.maxPayloadBytes + 1, 0x20);
    const r = parseTelemetryMessage(TOPIC, big, opts);
    expectRejected(r, 'payload_too_large');
    expect(r.deadLetters[0]?.raw?.byteLength).to.equal(DEFAULT_PARSE_LIMITS.maxRawBytes);
    expect(r.deadLetters[0]?.rawSize).to.equal(big.byteLength);
    expectRejected(parseTelemetryMessage(TOPIC, bytes(good), { ...opts, maxPayloadBytes: 10 }), 'payload_too_large');
  });

  it('keeps the raw payload on dead letters for later inspection', () => {
    expect(Buffer.from(parse('{"v":1,').deadLetters[0]!.raw!).toString()).to.equal('{"v":1,');
  });

  it('keeps a NUL-led payload as bytes and quotes it in the detail without the NUL (PostgreSQL refuses NUL in text)', () => {
    const payload = Buffer.from('\x00\x01{"t":1}', 'latin1');
    const r = parseTelemetryMessage(TOPIC, payload, opts);
    expectRejected(r, 'malformed_json');
    expect(Buffer.from(r.deadLetters[0]!.raw!)).to.deep.equal(payload);
    expect(r.deadLetters[0]!.detail).to.not.include('\u0000');
  });

  const badTopics: [string, DeadLetterReason][] = [
    ['freshchain/v1/telemetry/n/a', 'bad_topic'],
    ['freshchain/v1/telemetry/n/a/s/extra', 'bad_topic'],
    ['freshchain/v1/telemetry/n//s', 'bad_topic'],
    ['freshchain/v1/telemetry/n/+/s', 'bad_topic'],
    ['freshchain/v1/alarms/n/a/s', 'bad_topic'],
    ['other/v1/telemetry/n/a/s', 'bad_topic'],
    ['', 'bad_topic'],
    ['freshchain/v2/telemetry/n/a/s', 'unknown_version'],
  ];
  for (const [topic, reason] of badTopics) {
    it(`dead-letters topic ${JSON.stringify(topic)} as ${reason}`, () => {
      expectRejected(parse(good, topic), reason);
    });
  }
});

describe('coldchain/telemetry: gateway batches', () => {
  const item = (sensor: string, extra: Record<string, unknown> = {}) => ({
    sensor,
    asset: 'fridge-1',
    ts: T0 - 5000,
    temp_c: 2,
    ...extra,
  });

  it('keeps valid readings and dead-letters each bad one individually with its index', () => {
    const payload = {
      v: 1,
      gateway: 'gw-7',
      readings: [
        item('s1'),
        item('s2', { temp_c: 99 }),
        item('s3', { ts: T0 + 3_600_000 }),
        'not an object',
        item('s4', { door_open: true }),
        { asset: 'fridge-1', ts: T0, temp_c: 1 },
        item('s5', { ts: T0 - 86_400_000 }),
        item('bad/id'),
      ],
    };
    const r = parse(payload, BATCH);
    expect(r.readings.map((x) => x.sensorId)).to.deep.equal(['s1', 's4']);
    expect(r.readings[1]).to.include({ nodeId: 'fw-sh-01', assetId: 'fridge-1', doorOpen: true, tempC: 2 });
    expect(r.deadLetters.map((d) => [d.index, d.reason])).to.deep.equal([
      [1, 'impossible_value'],
      [2, 'clock_skew'],
      [3, 'schema_violation'],
      [5, 'schema_violation'],
      [6, 'too_old'],
      [7, 'schema_violation'],
    ]);
    expect(r.deadLetters[0]).to.include({ sensorId: 's2', topic: BATCH });
    expect(JSON.parse(Buffer.from(r.deadLetters[0]!.raw!).toString())).to.deep.equal(item('s2', { temp_c: 99 }));
  });

  it('dead-letters the whole batch when the payload gateway disagrees with the topic', () => {
    expectRejected(parse({ v: 1, gateway: 'gw-8', readings: [item('s1')] }, BATCH), 'bad_topic');
  });

  it('dead-letters a batch with more readings than allowed', () => {
    const readings = Array.from({ length: 3 }, (_, i) => item(`s${i}`));
    expectRejected(
      parse({ v: 1, gateway: 'gw-7', readings }, BATCH, { ...opts, maxBatchReadings: 2 }),
      'payload_too_large',
    );
  });

  it('rejects a batch envelope without readings, with a bad version, or sent as a single reading', () => {
    expectRejected(parse({ v: 1, gateway: 'gw-7' }, BATCH), 'schema_violation');
    expectRejected(parse({ v: 3, gateway: 'gw-7', readings: [] }, BATCH), 'unknown_version');
    expectRejected(parse({ v: 1, gateway: 'gw-7', readings: [item('s1')] }, TOPIC), 'schema_violation');
  });

  it('accepts an empty batch as a heartbeat with nothing to store', () => {
    expect(parse({ v: 1, gateway: 'gw-7', readings: [] }, BATCH)).to.deep.equal({ readings: [], deadLetters: [] });
  });
});
