// Ingest bench: MQTT → ingester → TimescaleDB on the real local stack, each figure next to a
// reference measured in the same run. Prints one JSON line per scenario:
//   single   one reading per message, end to end (committed rows), vs the bare broker rate
//            (same messages to a plain MQTT.js QoS 1 subscriber, no database) and vs the
//            ack-after-commit ceiling (same sessions and share group, empty commit per batch),
//            and vs the minimal writer (the ceiling plus the parser and the ingester's COPY per
//            batch, nothing else: what a database on the same cores leaves any ingester);
//   batch20  gateway batches of 20 readings, end to end, vs raw COPY into the same hypertable;
//   latency  publish → commit (ack) latency at half the rate `single` reached.
// Lost and duplicated readings are counted in the database. The ingester runs in a child
// process (as in production, apart from the publisher), compiled as production code is; the
// publisher is this process. Before
// each measured phase the bench waits (up to --settle-s) for the shared machine to be quiet,
// and every line reports the CPU each process used, other work on the box included.
//   npm run bench:ingest -- [--scenarios single,batch,latency] [--single 150000] [--batches 20000]
//     [--latency-s 12] [--sessions 256] [--concurrent-writes 2] [--batch-max 2000] [--wait-ms 20]
//     [--pool 4] [--window 1000] [--settle-s 20] [--keep]
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { loadConfig } from '../config';
import type { Config } from '../config';
import { createDb } from '../db/pool';
import type { Db } from '../db/pool';
import { upsertSensorNetwork } from '../db/telemetry';
import { topicScheme } from '../domain/coldchain/telemetry';
import type { TopicScheme } from '../domain/coldchain/telemetry';
import { connectMqtt } from '../platform/mqtt';
import { compileChildren, consumerGroup, forkChild } from './lib/child';
import type { BenchChild, ConsumerGroup } from './lib/child';
import { rawLoad } from './lib/copy';
import { cpuBetween, sampleCpu, waitForQuiet } from './lib/cpu';
import type { ProcessGroup } from './lib/cpu';
import { loadAverage1m, machineInfo } from './lib/machine';
import { summarize } from './lib/percentiles';
import { publishMany } from './lib/publisher';

/** Bench knobs (CLI flags); the defaults are the tuned settings the documented figures use. */
export interface IngestBenchOptions {
  warmup: number;
  single: number;
  batches: number;
  perBatch: number;
  latencySeconds: number;
  sensorsPerRole: number;
  /** Ingester instances (processes) in one share group. */
  ingesters: number;
  /** MQTT sessions per instance. */
  sessions: number;
  concurrentWrites: number;
  batchMax: number;
  waitMs: number;
  pool: number;
  window: number;
  /** Wait up to this long before each measured phase for the machine to be quiet (0: do not wait). */
  settleS: number;
  /** Scenarios to run (latency needs single's rate). */
  scenarios: Set<'single' | 'batch' | 'latency'>;
  keep: boolean;
}

const DEFAULTS: IngestBenchOptions = {
  warmup: 10_000,
  single: 150_000,
  batches: 20_000,
  perBatch: 20,
  latencySeconds: 12,
  sensorsPerRole: 200,
  ingesters: 2,
  sessions: 256,
  concurrentWrites: 2,
  batchMax: 2000,
  waitMs: 20,
  pool: 4,
  window: 1000,
  settleS: 20,
  scenarios: new Set(['single', 'batch', 'latency']),
  keep: false,
};

function parseArgs(argv: string[]): IngestBenchOptions {
  const o = { ...DEFAULTS, scenarios: new Set(DEFAULTS.scenarios) };
  const flags: Record<string, keyof IngestBenchOptions> = {
    '--warmup': 'warmup',
    '--single': 'single',
    '--batches': 'batches',
    '--per-batch': 'perBatch',
    '--latency-s': 'latencySeconds',
    '--sensors': 'sensorsPerRole',
    '--ingesters': 'ingesters',
    '--sessions': 'sessions',
    '--concurrent-writes': 'concurrentWrites',
    '--batch-max': 'batchMax',
    '--wait-ms': 'waitMs',
    '--pool': 'pool',
    '--window': 'window',
    '--settle-s': 'settleS',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--keep') o.keep = true;
    else if (a === '--scenarios') {
      const list = (argv[++i] ?? '').split(',').map((x) => x.trim());
      if (!list.every((x) => x === 'single' || x === 'batch' || x === 'latency'))
        throw new Error('--scenarios takes single,batch,latency');
      o.scenarios = new Set(list as ('single' | 'batch' | 'latency')[]);
      if (o.scenarios.has('latency') && !o.scenarios.has('single'))
        throw new Error('latency needs single (it runs at half its rate)');
    } else if (a in flags) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      (o as unknown as Record<string, number>)[flags[a]!] = v;
    } else throw new Error(`unknown flag ${a}`);
  }
  if (o.ingesters < 1 || !Number.isInteger(o.ingesters)) throw new Error('--ingesters needs a whole number ≥ 1');
  return o;
}

type Role = 'r' | 's' | 'b' | 'l';

/** The bench's own node, assets and sensors: unique per run, registered so the ingester accepts them. */
interface BenchNetwork {
  nodeId: string;
  assetIds: string[];
  sensors: Record<Role, string[]>;
  /** The deployment's topic namespace, which the ingester under test subscribes in. */
  topics: TopicScheme;
}

async function registerNetwork(db: Db, perRole: number, topics: TopicScheme): Promise<BenchNetwork> {
  const nodeId = `bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const assetIds = Array.from({ length: 10 }, (_, i) => `${nodeId}-a${i}`);
  const roles: Role[] = ['r', 's', 'b', 'l'];
  const sensors = Object.fromEntries(
    roles.map((r) => [r, Array.from({ length: perRole }, (_, i) => `${nodeId}-${r}${i}`)]),
  ) as Record<Role, string[]>;
  await upsertSensorNetwork(db, {
    nodes: [
      { id: nodeId, kind: 'front', name: 'ingest bench', lat: 31.23, lng: 121.47, radiusKm: 3, zones: ['chilled'] },
    ],
    assets: assetIds.map((id) => ({ id, nodeId, kind: 'fridge', band: 'chilled' })),
    sensors: roles.flatMap((r) => sensors[r].map((id, i) => ({ id, assetId: assetIds[i % assetIds.length]!, nodeId }))),
  });
  return { nodeId, assetIds, sensors, topics };
}

/**
 * Delete the run's rows and registry entries, then vacuum the chunks they were in: left to
 * autovacuum, a million dead rows would be cleaned up during the next run and skew it.
 */
async function removeNetwork(db: Db, net: BenchNetwork, extraSensorIds: string[], base: number): Promise<void> {
  const ids = [...Object.values(net.sensors).flat(), ...extraSensorIds];
  await db.query('DELETE FROM sensor_readings WHERE sensor_id = ANY($1)', [ids]);
  await db.query('DELETE FROM sensors WHERE node_id = $1', [net.nodeId]);
  await db.query('DELETE FROM assets WHERE node_id = $1', [net.nodeId]);
  await db.query('DELETE FROM nodes WHERE id = $1', [net.nodeId]);
  const chunks = await db.query<{ chunk: string }>(
    `SELECT show_chunks('sensor_readings', newer_than => $1::timestamptz, older_than => $2::timestamptz)::text AS chunk`,
    [new Date(base - 86_400_000), new Date(base + 2 * 86_400_000)],
  );
  for (const { chunk } of chunks) await db.query(`VACUUM (ANALYZE) ${chunk}`);
}

/** Rows and distinct (sensor, ts) keys stored for these sensors. */
async function stored(db: Db, sensorIds: string[]): Promise<{ rows: number; distinct: number }> {
  const r = await db.query<{ rows: string; distinct: string }>(
    'SELECT count(*) AS rows, count(DISTINCT (sensor_id, ts)) AS distinct FROM sensor_readings WHERE sensor_id = ANY($1)',
    [sensorIds],
  );
  return { rows: Number(r[0]!.rows), distinct: Number(r[0]!.distinct) };
}

// Message factories. Each reading's (sensor, ts) is unique within its role; `seq` carries the
// wall-clock publish time (a valid per-sensor counter: it only grows), which the ingester child
// reads back to time publish → commit.
function singleMessages(net: BenchNetwork, role: Role, base: number, offset: number) {
  const sensors = net.sensors[role];
  const n = sensors.length;
  return (i: number, at: number) => {
    const k = offset + i;
    const s = k % n;
    return {
      topic: net.topics.readingTopic(net.nodeId, net.assetIds[s % net.assetIds.length]!, sensors[s]!),
      payload: `{"v":1,"seq":${at},"ts":${base + Math.floor(k / n)},"temp_c":${(3 + (k % 13) / 10).toFixed(1)},"door_open":false}`,
    };
  };
}

function batchMessages(net: BenchNetwork, base: number, perBatch: number) {
  const sensors = net.sensors.b;
  const n = sensors.length;
  const gateways = net.assetIds.length;
  return (j: number, at: number) => {
    const items: string[] = [];
    for (let m = 0; m < perBatch; m++) {
      const k = j * perBatch + m;
      const s = k % n;
      items.push(
        `{"sensor":"${sensors[s]}","asset":"${net.assetIds[s % gateways]}","seq":${at},"ts":${base + Math.floor(k / n)},"temp_c":${(3 + (k % 13) / 10).toFixed(1)}}`,
      );
    }
    const gw = `gw${j % gateways}`;
    return {
      topic: net.topics.batchTopic(net.nodeId, gw),
      payload: `{"v":1,"gateway":"${gw}","readings":[${items.join(',')}]}`,
    };
  };
}

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/** One measured phase: its rate, duration, CPU per process group, and how quiet the box was before it. */
interface Phase {
  rate: number;
  seconds: number;
  cpu: Record<string, number>;
  quiet: boolean;
  busy_cores_before: number;
}

/**
 * Wait for a quiet machine (unless `settleS` is 0), publish `count` messages, and wait until
 * the child has handled `expectTotal` units in all. The rate is units / (last unit handled −
 * first publish).
 */
async function timed(
  pub: MqttClient,
  consumers: ConsumerGroup,
  groups: ProcessGroup[],
  count: number,
  expectTotal: number,
  make: (i: number, at: number) => { topic: string; payload: string },
  units: number,
  opts: { window: number; ratePerS?: number; settleS: number },
): Promise<Phase> {
  const settle =
    opts.settleS > 0 ? await waitForQuiet(0.3, opts.settleS * 1000) : { quiet: false, busyCores: Number.NaN };
  const reached = consumers.reached(expectTotal, 300_000);
  reached.catch(() => undefined); // awaited below; a failure while publishing must not go unhandled
  const before = sampleCpu(groups);
  const published = await publishMany(pub, count, make, opts);
  const done = await reached;
  const after = sampleCpu(groups);
  const seconds = (done - published.startedAt) / 1000;
  return {
    rate: (count * units) / seconds,
    seconds,
    cpu: cpuBetween(before, after),
    quiet: settle.quiet,
    busy_cores_before: settle.busyCores,
  };
}

/** The ingester's counters over one phase, and what they say about its batches. */
function batchFigures(d: Record<string, number>) {
  const batches = Math.max(1, d.batches ?? 0);
  return {
    avg_batch_readings: round((d.batch_readings ?? 0) / batches, 1),
    avg_batch_write_ms: round((1000 * (d.batch_write_s ?? 0)) / batches, 2),
    duplicate_deliveries: d.duplicate_deliveries,
    dead_letters: d.dead_letters,
    write_failures: d.write_failures,
  };
}

/** The ack-after-commit ceiling of one run: its phase, and what it lost or got twice. */
interface Ceiling {
  phase: Phase;
  lost: number;
  duplicated: number;
}

/**
 * The transport's ceiling for the ingester's pattern: as many instances and sessions as the
 * ingester, in one share group, each message acknowledged after an empty commit of its batch
 * (bench/lib/ceiling-child.ts). The same single-reading messages as the bare reference. With
 * `commit: 'copy'`, the minimal writer: the same, each message parsed and each batch written
 * with the ingester's COPY, nothing else.
 */
async function measureCeiling(
  pub: MqttClient,
  cfg: Config,
  o: IngestBenchOptions,
  childEnv: NodeJS.ProcessEnv,
  net: BenchNetwork,
  base: number,
  children: BenchChild[],
  childModule: string,
  commit: 'empty' | 'copy',
): Promise<Ceiling> {
  const tag = commit === 'empty' ? 'ceil' : 'min';
  const shareGroup = `${tag}${randomBytes(4).toString('hex')}`;
  const instances = await Promise.all(
    Array.from({ length: o.ingesters }, (_, k) =>
      forkChild(
        childModule,
        {
          ...childEnv,
          MQTT_SHARE_GROUP: shareGroup,
          BENCH_SESSIONS: String(o.sessions),
          BENCH_CONCURRENT_WRITES: String(o.concurrentWrites),
          BENCH_CLIENT_ID: `${net.nodeId}-${tag}${k}`,
          BENCH_COMMIT: commit,
          PG_POOL_MAX: String(o.pool),
          INGEST_BATCH_MAX: String(o.batchMax),
          INGEST_BATCH_WAIT_MS: String(o.waitMs),
        },
        process.env.BENCH_CEILING_NODE_ARGS?.split(' ').filter(Boolean),
      ),
    ),
  ); // e.g. "--cpu-prof --cpu-prof-dir=DIR" to profile the ceiling's consumers
  children.push(...instances);
  const group = consumerGroup(instances);
  const groups: ProcessGroup[] = [
    { name: 'bench', pids: [process.pid] },
    { name: 'consumer', pids: group.pids },
    { name: 'broker', comm: 'mosquitto' },
    { name: 'postgres', comm: 'postgres' },
  ];
  await timed(pub, group, groups, o.warmup, o.warmup, singleMessages(net, 'r', base, 0), 1, { ...o, settleS: 0 });
  const phase = await timed(
    pub,
    group,
    groups,
    o.single,
    o.warmup + o.single,
    singleMessages(net, 'r', base, o.warmup),
    1,
    o,
  );
  const { stats } = await group.stats();
  await group.stop();
  const acked = stats.acked_messages ?? 0;
  const distinct = stats.distinct_readings ?? 0;
  return { phase, lost: o.warmup + o.single - distinct, duplicated: acked - distinct };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  // Children run compiled, as production does (npm run build); compiled before the stack is touched.
  const child = compileChildren();
  const cfg: Config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const db = createDb({ connectionString: cfg.db.connectionString, max: 4, applicationName: 'freshchain-bench' });
  const net = await registerNetwork(db, o.sensorsPerRole, topicScheme(cfg.mqtt.topicPrefix));
  const copySensorIds = Array.from({ length: o.sensorsPerRole }, (_, i) => `${net.nodeId}-c${i}`);
  const pub = await connectMqtt(cfg.mqtt.url, { ...cfg.mqtt.device, clientId: `${net.nodeId}-pub`, clean: true });
  const children: BenchChild[] = [];
  const base = Date.now() - 3_600_000; // an hour ago: inside the parser's age window
  const childEnv = { ...process.env, FRESHCHAIN_PROFILE: 'test', LOG_LEVEL: 'warn', BENCH_NODE: net.nodeId };
  const tuning = {
    ingesters: o.ingesters,
    sessions: o.sessions,
    concurrent_writes: o.concurrentWrites,
    batch_max: o.batchMax,
    batch_wait_ms: o.waitMs,
    pool_max: o.pool,
  };
  const context = () => ({
    ...machineInfo(),
    loadavg_1m: loadAverage1m(),
    ingester: `${o.ingesters} child process(es) running startIngester (as npm run ingest) in one share group`,
    children: 'compiled with tsc (bench/tsconfig.children.json), run on plain Node as production runs dist/',
    publisher: 'bench process, one MQTT.js client, QoS 1',
    publish_window: o.window,
    ...tuning,
  });
  const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
  try {
    // --- single, reference: the same messages to a plain subscriber, no database.
    let ref: Phase | undefined;
    let ceiling: Ceiling | undefined;
    let minimal: Ceiling | undefined;
    if (o.scenarios.has('single')) {
      const sub = await forkChild(child(join(__dirname, 'lib/subscriber-child.ts')), {
        ...childEnv,
        BENCH_MQTT_URL: cfg.mqtt.url,
        BENCH_MQTT_USERNAME: cfg.mqtt.ops.username,
        BENCH_MQTT_PASSWORD: cfg.mqtt.ops.password,
        BENCH_FILTER: net.topics.readingFilter(net.nodeId),
      });
      children.push(sub);
      const subGroups: ProcessGroup[] = [
        { name: 'bench', pids: [process.pid] },
        { name: 'consumer', pids: [sub.process.pid!] },
        { name: 'broker', comm: 'mosquitto' },
        { name: 'postgres', comm: 'postgres' },
      ];
      const subscriber = consumerGroup([sub]);
      await timed(pub, subscriber, subGroups, o.warmup, o.warmup, singleMessages(net, 'r', base, 0), 1, {
        ...o,
        settleS: 0,
      });
      ref = await timed(
        pub,
        subscriber,
        subGroups,
        o.single,
        o.warmup + o.single,
        singleMessages(net, 'r', base, o.warmup),
        1,
        o,
      );
      await sub.stop();
      const measure = (commit: 'empty' | 'copy') =>
        measureCeiling(
          pub,
          cfg,
          o,
          childEnv,
          net,
          base,
          children,
          child(join(__dirname, 'lib/ceiling-child.ts')),
          commit,
        );
      ceiling = await measure('empty');
      // The only phase that stores the reference's messages (sensors of their own).
      minimal = await measure('copy');
    }

    // --- the ingester under test: `--ingesters` instances in one share group, as deployed to
    // scale out, each in its own process, for the three scenarios.
    const shareGroup = `bench${randomBytes(4).toString('hex')}`;
    const instances = await Promise.all(
      Array.from({ length: o.ingesters }, (_, k) =>
        forkChild(
          child(join(__dirname, 'lib/ingester-child.ts')),
          {
            ...childEnv,
            MQTT_SHARE_GROUP: shareGroup,
            BENCH_SESSIONS: String(o.sessions),
            BENCH_CONCURRENT_WRITES: String(o.concurrentWrites),
            BENCH_CLIENT_ID: `${net.nodeId}-ing${k}`,
            INGEST_BATCH_MAX: String(o.batchMax),
            INGEST_BATCH_WAIT_MS: String(o.waitMs),
            PG_POOL_MAX: String(o.pool),
          },
          process.env.BENCH_INGESTER_NODE_ARGS?.split(' ').filter(Boolean),
        ),
      ),
    ); // e.g. "--cpu-prof --cpu-prof-dir=DIR" to profile the ingester
    children.push(...instances);
    const ing = consumerGroup(instances);
    const groups: ProcessGroup[] = [
      { name: 'bench', pids: [process.pid] },
      { name: 'ingester', pids: ing.pids },
      { name: 'broker', comm: 'mosquitto' },
      { name: 'postgres', comm: 'postgres' },
    ];
    let expected = 0;
    /** Run one phase with latency recording on; returns the phase, its latencies and the ingester's counters over it. */
    const phase = async (count: number, make: Parameters<typeof timed>[5], units: number, ratePerS?: number) => {
      const before = (await ing.stats()).stats;
      ing.send({ type: 'latency', on: true });
      expected += count;
      const p = await timed(pub, ing, groups, count, expected, make, units, { ...o, ratePerS });
      const after = await ing.stats();
      ing.send({ type: 'latency', on: false });
      const diff = Object.fromEntries(Object.entries(after.stats).map(([k, v]) => [k, round(v - (before[k] ?? 0), 3)]));
      return { p, latency: summarize(after.latencies ?? []), ing: diff };
    };

    // single (the ingester warms up on single readings in any case)
    expected += o.warmup;
    await timed(pub, ing, groups, o.warmup, expected, singleMessages(net, 's', base, 0), 1, { ...o, settleS: 0 });
    let singleRate: number | undefined;
    if (ref) {
      const single = await phase(o.single, singleMessages(net, 's', base, o.warmup), 1);
      const singleDb = await stored(db, net.sensors.s);
      print({
        scenario: 'single',
        readings_per_s: round(single.p.rate),
        reference_per_s: round(ref.rate),
        ratio: round(single.p.rate / ref.rate, 3),
        p99_latency_ms: single.latency.p99,
        lost: o.warmup + o.single - singleDb.distinct,
        duplicated: singleDb.rows - singleDb.distinct,
        reference: 'same messages to a plain MQTT.js subscriber (QoS 1, acks at once), no database',
        ...(ceiling
          ? {
              ceiling_per_s: round(ceiling.phase.rate),
              ceiling_ratio: round(single.p.rate / ceiling.phase.rate, 3),
              ceiling_lost: ceiling.lost,
              ceiling_duplicated: ceiling.duplicated,
              ceiling_elapsed_s: round(ceiling.phase.seconds, 2),
              ceiling_cpu_cores: ceiling.phase.cpu,
              ceiling:
                'same sessions in one share group, same batcher (size, wait, concurrent writes), ack after an empty commit, no database',
            }
          : {}),
        ...(ceiling && minimal
          ? {
              minimal_writer_per_s: round(minimal.phase.rate),
              minimal_writer_ratio: round(minimal.phase.rate / ceiling.phase.rate, 3),
              ingester_vs_minimal_writer: round(single.p.rate / minimal.phase.rate, 3),
              minimal_writer_lost: minimal.lost,
              minimal_writer_duplicated: minimal.duplicated,
              minimal_writer_cpu_cores: minimal.phase.cpu,
              minimal_writer:
                "the ceiling's sessions and batcher, each message parsed and each batch written with the ingester's COPY, nothing else",
            }
          : {}),
        messages: o.single,
        elapsed_s: round(single.p.seconds, 2),
        reference_elapsed_s: round(ref.seconds, 2),
        latency_ms: single.latency,
        latency_note: 'at full publish speed: includes queueing in the broker',
        ...batchFigures(single.ing),
        cpu_cores: single.p.cpu,
        reference_cpu_cores: ref.cpu,
        quiet_before: single.p.quiet && ref.quiet,
        ...context(),
      });
      singleRate = single.p.rate;
    }

    if (o.scenarios.has('batch')) {
      // batch20, reference: raw COPY of as many rows into the same hypertable.
      const readings = o.batches * o.perBatch;
      const rows = {
        sensorIds: new Array<string>(readings),
        ts: new Array<number>(readings),
        tempC: new Array<number>(readings),
      };
      for (let k = 0; k < readings; k++) {
        rows.sensorIds[k] = copySensorIds[k % copySensorIds.length]!;
        rows.ts[k] = base + Math.floor(k / copySensorIds.length);
        rows.tempC[k] = 3 + (k % 13) / 10;
      }
      const copyQuiet = o.settleS > 0 ? await waitForQuiet(0.3, o.settleS * 1000) : { quiet: false };
      const copyCpu0 = sampleCpu(groups);
      const copy = await rawLoad(db, cfg.db.connectionString ?? '', rows);
      const copyCpu = cpuBetween(copyCpu0, sampleCpu(groups));
      const copyRate = copy.rows / copy.seconds;
      const batch = await phase(o.batches, batchMessages(net, base, o.perBatch), o.perBatch);
      const batchDb = await stored(db, net.sensors.b);
      print({
        scenario: `batch${o.perBatch}`,
        readings_per_s: round(batch.p.rate),
        reference_per_s: round(copyRate),
        ratio: round(batch.p.rate / copyRate, 3),
        p99_latency_ms: batch.latency.p99,
        lost: readings - batchDb.distinct,
        duplicated: batchDb.rows - batchDb.distinct,
        reference: copy.reference,
        reference_detail: `${copy.reference === 'copy' ? '\\copy from a CSV file' : 'one INSERT … SELECT FROM unnest without ON CONFLICT'} into sensor_readings (${copy.client})`,
        messages: o.batches,
        readings,
        elapsed_s: round(batch.p.seconds, 2),
        reference_elapsed_s: round(copy.seconds, 2),
        latency_ms: batch.latency,
        ...batchFigures(batch.ing),
        cpu_cores: batch.p.cpu,
        reference_cpu_cores: copyCpu,
        quiet_before: batch.p.quiet && copyQuiet.quiet,
        ...context(),
      });
    }

    if (o.scenarios.has('latency') && singleRate !== undefined) {
      // latency at half the rate `single` reached.
      const rate = singleRate / 2;
      const count = Math.round(rate * o.latencySeconds);
      const paced = await phase(count, singleMessages(net, 'l', base, 0), 1, rate);
      const latDb = await stored(db, net.sensors.l);
      // Cross-check in the database: received_at (the inserting transaction's start) minus publish time.
      const dbLat = await db.query<{ p99: number | null }>(
        `SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM received_at) * 1000 - seq) AS p99 FROM sensor_readings WHERE sensor_id = ANY($1)`,
        [net.sensors.l],
      );
      print({
        scenario: 'latency',
        readings_per_s: round(paced.p.rate),
        reference_per_s: round(singleRate),
        ratio: round(paced.p.rate / singleRate, 3),
        p99_latency_ms: paced.latency.p99,
        lost: count - latDb.distinct,
        duplicated: latDb.rows - latDb.distinct,
        reference: 'the maximum rate measured in single',
        target_rate_per_s: round(rate),
        messages: count,
        elapsed_s: round(paced.p.seconds, 2),
        latency_ms: paced.latency,
        latency_definition:
          'publish (wall clock, carried in seq) → the ingester acknowledges the message, which it does after the batch holding it committed',
        db_p99_publish_to_txn_start_ms: round(Number(dbLat[0]?.p99 ?? Number.NaN), 1),
        ...batchFigures(paced.ing),
        cpu_cores: paced.p.cpu,
        quiet_before: paced.p.quiet,
        ...context(),
      });
    }
    await ing.stop();
  } finally {
    await Promise.all(children.map((c) => c.close()));
    await pub.endAsync().catch(() => undefined);
    if (!o.keep)
      await removeNetwork(db, net, copySensorIds, base).catch((err: Error) =>
        console.error(`bench: cleanup failed: ${err.message}`),
      );
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:ingest: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
