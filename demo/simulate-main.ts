// `npm run simulate -- --sensors N --nodes K --vans V --rate-hz R --duration-s D [--batch 20]
//   [--faults excursion,offline,garbage,skew] [--register] [--seed S] [--prefix P]
//   [--fault-start-s A] [--fault-duration-s B]`
// Publishes simulated cold-chain telemetry in real time with the device account, QoS 1, per
// docs/telemetry-contract.md, over TLS to MQTT_DEVICE_URL (verified with MQTT_CA_FILE; see
// docs/devices.md), then prints one JSON line: what was sent and what the ingester
// should have stored or dead-lettered.
import type { IClientOptions } from 'mqtt';
import { config } from '../config';
import type { Config } from '../config';
import { createDb } from '../db/pool';
import { topicScheme } from '../domain/coldchain/telemetry';
import { connectMqtt, mqttTlsOptions } from '../platform/mqtt';
import { registerSimNetwork } from './register';
import type { FaultKind } from './simulator';
import { buildSimNetwork, ColdChainSimulator, parseFaultKinds } from './simulator';

/** Parsed command line. */
export interface SimulateArgs {
  sensors: number;
  nodes: number;
  vans: number;
  rateHz: number;
  durationS: number;
  batch?: number;
  faults: FaultKind[];
  register: boolean;
  seed: number;
  prefix: string;
  faultStartS?: number;
  faultDurationS?: number;
  tickMs: number;
}

const NUMERIC: Record<string, keyof SimulateArgs> = {
  '--sensors': 'sensors',
  '--nodes': 'nodes',
  '--vans': 'vans',
  '--rate-hz': 'rateHz',
  '--duration-s': 'durationS',
  '--batch': 'batch',
  '--seed': 'seed',
  '--fault-start-s': 'faultStartS',
  '--fault-duration-s': 'faultDurationS',
  '--tick-ms': 'tickMs',
};

/** Parse argv (without node and script); throws with a usage hint on anything unknown. */
export function parseSimulateArgs(argv: readonly string[]): SimulateArgs {
  const a: SimulateArgs = {
    sensors: 20,
    nodes: 2,
    vans: 2,
    rateHz: 1,
    durationS: 60,
    faults: [],
    register: false,
    seed: 1,
    prefix: 'sim',
    tickMs: 100,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--register') a.register = true;
    else if (flag === '--faults') a.faults = parseFaultKinds(argv[++i]);
    else if (flag === '--prefix') a.prefix = argv[++i] ?? '';
    else if (flag in NUMERIC) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a non-negative number`);
      (a as unknown as Record<string, number>)[NUMERIC[flag]!] = v;
    } else throw new Error(`unknown flag ${flag}; see the header of demo/simulate-main.ts`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/.test(a.prefix))
    throw new Error('--prefix: letters, digits, . _ - (at most 31)');
  if (a.nodes < 1 || a.sensors < 1 || !(a.rateHz > 0))
    throw new Error('--nodes, --sensors and --rate-hz must be positive');
  return a;
}

/**
 * Where and how the simulator connects: as a device, to the devices' listener (MQTT_DEVICE_URL,
 * TLS on the local stack), verifying the broker's certificate against MQTT_CA_FILE.
 */
export function simulatorConnection(cfg: Config, clientId: string): { url: string; options: IClientOptions } {
  const url = cfg.mqtt.deviceUrl;
  return { url, options: { ...cfg.mqtt.device, ...mqttTlsOptions(url, cfg.mqtt.caFile), clientId, clean: true } };
}

async function main(): Promise<void> {
  const args = parseSimulateArgs(process.argv.slice(2));
  const cfg = config();
  const network = buildSimNetwork({
    prefix: args.prefix,
    nodes: args.nodes,
    sensors: args.sensors,
    vans: args.vans,
    seed: args.seed,
  });
  if (args.register) {
    const db = createDb({ connectionString: cfg.db.connectionString, max: 2, applicationName: 'freshchain-simulate' });
    try {
      // Through master data, as a grocer's own network would be (validated, versioned, audited).
      await registerSimNetwork(db, network);
    } finally {
      await db.close();
    }
  }
  const { url, options } = simulatorConnection(cfg, `${args.prefix}-sim-${process.pid}`);
  const client = await connectMqtt(url, options);
  const startMs = Date.now();
  const durationMs = args.durationS * 1000;
  const faultFrom = startMs + (args.faultStartS !== undefined ? args.faultStartS * 1000 : durationMs * 0.2);
  const faultTo =
    args.faultDurationS !== undefined ? faultFrom + args.faultDurationS * 1000 : startMs + durationMs * 0.8;
  const sim = new ColdChainSimulator(
    {
      network,
      seed: args.seed,
      rateHz: args.rateHz,
      startMs,
      batch: args.batch,
      topics: topicScheme(cfg.mqtt.topicPrefix),
      faults: args.faults.length ? { kinds: args.faults, fromMs: faultFrom, toMs: faultTo } : undefined,
    },
    0,
  );
  let stopping = false;
  process.once('SIGINT', () => (stopping = true));
  process.once('SIGTERM', () => (stopping = true));
  // Real time: each tick publishes what fell due since the last one and waits for the PUBACKs,
  // so a slow broker slows the simulator down instead of piling up unacknowledged messages.
  let late = 0;
  for (let tick = startMs; !stopping; tick += args.tickMs) {
    const now = Math.min(tick, startMs + durationMs);
    const messages = sim.tick(now);
    if (now >= startMs + durationMs) messages.push(...sim.flush());
    await Promise.all(messages.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 })));
    if (now >= startMs + durationMs) break;
    const wait = tick + args.tickMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else late++;
  }
  if (stopping) {
    const rest = sim.flush();
    await Promise.all(rest.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 })));
  }
  await client.endAsync();
  const s = sim.stats;
  console.log(
    JSON.stringify({
      prefix: args.prefix,
      seed: args.seed,
      nodes: network.nodes.length,
      assets: network.assets.length,
      sensors: network.sensors.length,
      mode: args.batch ? `batch${args.batch}` : 'single',
      messages: s.messages,
      readings: s.readings,
      dead_letters: s.deadLetters,
      offline_skipped: s.offlineSkipped,
      faults: args.faults,
      fault_window: args.faults.length ? [new Date(faultFrom).toISOString(), new Date(faultTo).toISOString()] : null,
      fault_targets: args.faults.length ? sim.faultTargets() : undefined,
      late_ticks: late,
      elapsed_s: Math.round((Date.now() - startMs) / 100) / 10,
    }),
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`simulate: ${(err as Error).message}`);
    process.exit(1);
  });
}
