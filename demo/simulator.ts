// Cold-chain telemetry simulator: a seeded thermal model of fridges, freezers, cold rooms and
// vans, and the MQTT messages their sensors (or gateways) would publish per the telemetry
// contract v1. Pure apart from being stateful: time is always passed in, randomness comes from
// a seed, so the same seed and the same tick times give the same messages.
//
// Physics, per asset, in °C and minutes: the air leaks toward ambient (Newton's law), the
// compressor pulls it down while on, a thermostat switches the compressor at setpoint ±
// hysteresis (the sawtooth); an open door leaks faster, a defrost stops the compressor (and may
// heat), a failed compressor lets the air drift toward ambient. Vans open their doors at stops.
import type { DeadLetterReason } from '../domain/coldchain/telemetry';
import { DEFAULT_TOPICS } from '../domain/coldchain/telemetry';
import type { TopicScheme } from '../domain/coldchain/telemetry';

/** What the simulator can model. */
export type SimAssetKind = 'fridge' | 'freezer' | 'cold_room' | 'van';

/** Injectable faults. */
export type FaultKind = 'excursion' | 'offline' | 'garbage' | 'skew';

/** Every fault kind, in CLI order. */
export const FAULT_KINDS: readonly FaultKind[] = ['excursion', 'offline', 'garbage', 'skew'];

/** Thermal behaviour of one kind of asset. */
export interface ThermalProfile {
  /** Rule profile (domain/coldchain/bands.ts) of what the asset holds. */
  band: 'chilled' | 'frozen';
  setpointC: number;
  /** The thermostat starts the compressor at setpoint + this and stops it at setpoint − this. */
  hysteresisC: number;
  ambientC: number;
  /** Heat leak toward ambient, 1/min (doors closed). */
  leakPerMin: number;
  /** Compressor pull-down, °C/min. */
  coolCPerMin: number;
  /** Door openings (for a van: its stops), as a Poisson process. */
  door: { perHour: number; minS: number; maxS: number; leakPerMin: number };
  /** Periodic defrost: compressor off, optional heater. */
  defrost: { everyH: number; durationMin: number; heatCPerMin: number } | null;
  humidityPct: number;
}

/** Default profiles: fridges ~3 °C, freezers ~−20 °C, cold rooms ~2 °C, vans ~3 °C. */
export const THERMAL_PROFILES: Readonly<Record<SimAssetKind, ThermalProfile>> = {
  fridge: {
    band: 'chilled',
    setpointC: 3,
    hysteresisC: 0.7,
    ambientC: 20,
    leakPerMin: 0.02,
    coolCPerMin: 0.9,
    door: { perHour: 12, minS: 8, maxS: 45, leakPerMin: 0.1 },
    defrost: { everyH: 8, durationMin: 12, heatCPerMin: 0 },
    humidityPct: 90,
  },
  freezer: {
    band: 'frozen',
    setpointC: -20,
    hysteresisC: 1.2,
    ambientC: 20,
    leakPerMin: 0.01,
    coolCPerMin: 1.2,
    door: { perHour: 6, minS: 5, maxS: 25, leakPerMin: 0.06 },
    defrost: { everyH: 6, durationMin: 20, heatCPerMin: 0.25 },
    humidityPct: 65,
  },
  cold_room: {
    band: 'chilled',
    setpointC: 2,
    hysteresisC: 0.6,
    ambientC: 18,
    leakPerMin: 0.006,
    coolCPerMin: 0.35,
    door: { perHour: 8, minS: 20, maxS: 120, leakPerMin: 0.03 },
    defrost: { everyH: 12, durationMin: 15, heatCPerMin: 0 },
    humidityPct: 92,
  },
  van: {
    band: 'chilled',
    setpointC: 3,
    hysteresisC: 0.8,
    ambientC: 28,
    leakPerMin: 0.015,
    coolCPerMin: 0.8,
    door: { perHour: 5, minS: 90, maxS: 240, leakPerMin: 0.04 },
    defrost: null,
    humidityPct: 80,
  },
};

// ---------------------------------------------------------------------------------------------
// Randomness

/** 32-bit avalanche mix (murmur3's finaliser); turns any integer into a well-spread one. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A seeded uniform generator on [0, 1): a Weyl sequence through `mix32`. */
export function seededRng(...seed: number[]): () => number {
  let state = seed.reduce((acc, s) => mix32(acc ^ mix32(Math.floor(s) + 0x9e3779b9)), 0x2545f491);
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    return mix32(state) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** An exponential waiting time with the given mean. */
function exponential(rng: () => number, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}

// ---------------------------------------------------------------------------------------------
// Thermal model (pure functions over plain state)

/** The state of one asset's air. Times are epoch ms. */
export interface AssetState {
  tempC: number;
  compressorOn: boolean;
  doorOpenUntil: number;
  nextDoorAt: number;
  defrostUntil: number;
  nextDefrostAt: number;
}

/** What acts on an asset during one step. */
export interface StepConditions {
  doorOpen: boolean;
  defrost: boolean;
  /** Compressor failure (the excursion fault): no cooling whatever the thermostat says. */
  failed: boolean;
}

/** Advance an asset's temperature by `dtS` seconds under fixed conditions (explicit Euler; keep dtS ≤ 5). */
export function stepTemperature(
  p: ThermalProfile,
  s: Pick<AssetState, 'tempC' | 'compressorOn'>,
  dtS: number,
  c: StepConditions,
): { tempC: number; compressorOn: boolean } {
  const toAmbient = p.ambientC - s.tempC;
  let rate = p.leakPerMin * toAmbient;
  if (c.doorOpen) rate += p.door.leakPerMin * toAmbient;
  if (c.defrost) rate += p.defrost?.heatCPerMin ?? 0;
  else if (s.compressorOn && !c.failed) rate -= p.coolCPerMin;
  const tempC = s.tempC + (rate * dtS) / 60;
  let compressorOn = s.compressorOn;
  if (!c.defrost && !c.failed) {
    if (tempC >= p.setpointC + p.hysteresisC) compressorOn = true;
    else if (tempC <= p.setpointC - p.hysteresisC) compressorOn = false;
  }
  return { tempC, compressorOn };
}

/** An asset at `startMs`: somewhere on its sawtooth, with its first door opening and defrost drawn. */
export function initialAssetState(p: ThermalProfile, rng: () => number, startMs: number): AssetState {
  return {
    tempC: p.setpointC + (rng() * 2 - 1) * p.hysteresisC,
    compressorOn: rng() < 0.5,
    doorOpenUntil: 0,
    nextDoorAt: startMs + exponential(rng, 3_600_000 / p.door.perHour),
    defrostUntil: 0,
    nextDefrostAt: p.defrost ? startMs + rng() * p.defrost.everyH * 3_600_000 : Infinity,
  };
}

/** Maximum model step, in ms. */
const STEP_MS = 1000;

/**
 * Advance an asset from `fromMs` to `toMs`, opening doors and starting defrosts as they fall
 * due (drawing their durations and the next occurrence from `rng`). Mutates and returns `s`.
 */
export function advanceAsset(
  p: ThermalProfile,
  s: AssetState,
  fromMs: number,
  toMs: number,
  rng: () => number,
  failed: (t: number) => boolean,
): AssetState {
  let t = fromMs;
  while (t < toMs) {
    if (t >= s.nextDoorAt) {
      s.doorOpenUntil = s.nextDoorAt + (p.door.minS + rng() * (p.door.maxS - p.door.minS)) * 1000;
      s.nextDoorAt = s.doorOpenUntil + exponential(rng, 3_600_000 / p.door.perHour);
    }
    if (p.defrost && t >= s.nextDefrostAt) {
      s.defrostUntil = s.nextDefrostAt + p.defrost.durationMin * 60_000;
      s.nextDefrostAt += p.defrost.everyH * 3_600_000;
    }
    const dt = Math.min(STEP_MS, toMs - t);
    const next = stepTemperature(p, s, dt / 1000, {
      doorOpen: t < s.doorOpenUntil,
      defrost: t < s.defrostUntil,
      failed: failed(t),
    });
    s.tempC = next.tempC;
    s.compressorOn = next.compressorOn;
    t += dt;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Network

/** Nodes, assets and sensors in the shape `upsertSensorNetwork` (db/telemetry.ts) takes. */
export interface SimNetwork {
  nodes: {
    id: string;
    kind: 'front' | 'store';
    name: string;
    lat: number;
    lng: number;
    radiusKm: number;
    zones: string[];
  }[];
  assets: { id: string; nodeId: string; kind: SimAssetKind; band: string }[];
  sensors: { id: string; assetId: string; nodeId: string }[];
}

/** Size of a simulated network. */
export interface SimNetworkSpec {
  prefix: string;
  nodes: number;
  sensors: number;
  vans: number;
  seed: number;
}

const NODE_ASSETS: readonly SimAssetKind[] = ['fridge', 'freezer', 'cold_room', 'fridge'];
const ASSET_LABEL: Readonly<Record<SimAssetKind, string>> = {
  fridge: 'fridge',
  freezer: 'freezer',
  cold_room: 'coldroom',
  van: 'van',
};

/**
 * Build a network: each node has two fridges, a freezer and a cold room; vans belong to nodes
 * in turn; sensors are dealt round the assets (nodes interleaved), and only assets that got a
 * sensor are kept.
 */
export function buildSimNetwork(spec: SimNetworkSpec): SimNetwork {
  if (spec.nodes < 1) throw new RangeError('at least one node');
  const rng = seededRng(spec.seed, 1);
  const nodes: SimNetwork['nodes'] = Array.from({ length: spec.nodes }, (_, i) => ({
    id: `${spec.prefix}-n${i}`,
    kind: i % 2 === 0 ? 'front' : 'store',
    name: `simulated ${i % 2 === 0 ? 'front' : 'store'} warehouse ${i}`,
    lat: 31.23 + (rng() - 0.5) * 0.3,
    lng: 121.47 + (rng() - 0.5) * 0.3,
    radiusKm: 3,
    zones: ['ambient', 'chilled', 'frozen'],
  }));
  // Asset slots in dealing order: slot k of every node, then slot k+1…; vans last.
  const slots: SimNetwork['assets'] = [];
  const counts = new Map<string, number>();
  const asset = (nodeId: string, kind: SimAssetKind) => {
    const key = `${nodeId}/${kind}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return { id: `${nodeId}-${ASSET_LABEL[kind]}${n}`, nodeId, kind, band: THERMAL_PROFILES[kind].band };
  };
  for (const kind of NODE_ASSETS) for (const n of nodes) slots.push(asset(n.id, kind));
  for (let v = 0; v < spec.vans; v++) slots.push(asset(nodes[v % nodes.length]!.id, 'van'));
  const used = slots.slice(0, Math.max(0, Math.min(slots.length, spec.sensors)));
  const sensors: SimNetwork['sensors'] = [];
  const perAsset = new Map<string, number>();
  for (let i = 0; i < spec.sensors; i++) {
    const a = used[i % used.length]!;
    const k = (perAsset.get(a.id) ?? 0) + 1;
    perAsset.set(a.id, k);
    sensors.push({ id: `${a.id}-s${k}`, assetId: a.id, nodeId: a.nodeId });
  }
  return { nodes, assets: used, sensors };
}

// ---------------------------------------------------------------------------------------------
// Simulator

/** When faults act and how much of the fleet they touch. */
export interface FaultPlan {
  kinds: readonly FaultKind[];
  /** Faults act in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Share of sensors (assets for excursions) affected; at least one. Default 0.1. */
  share?: number;
  /** Chance that an affected sensor's reading is garbage while the fault lasts. Default 0.5. */
  garbageRate?: number;
  /** How far ahead a skewed sensor's clock runs. Default one hour (the parser allows 5 min). */
  skewMs?: number;
}

/** Simulator settings. */
export interface SimulatorOptions {
  network: SimNetwork;
  seed: number;
  /** Readings per second per sensor. */
  rateHz: number;
  startMs: number;
  /** Gateway batches of this many readings (one gateway per node); single-reading messages when absent. */
  batch?: number;
  /** A gateway also sends a partial batch once its oldest reading has waited this long. Default 1 s. */
  batchFlushMs?: number;
  faults?: FaultPlan;
  /** The deployment's topic namespace; default none (`freshchain/v1/...`). */
  topics?: TopicScheme;
}

/** One MQTT message, and what the ingester should make of it. */
export interface SimMessage {
  topic: string;
  payload: string;
  /** Readings the ingester should store from this message. */
  readings: number;
  /** Dead letters it should record, by reason. */
  deadLetters: DeadLetterReason[];
}

/** One sample as the sensor measured it (before faults touch the payload). */
export interface SimSample {
  sensorId: string;
  assetId: string;
  nodeId: string;
  kind: SimAssetKind;
  ts: number;
  seq: number;
  tempC: number;
  humidityPct: number;
  doorOpen: boolean;
  defrost: boolean;
  batteryPct: number;
}

/** Counters over everything produced so far. */
export interface SimStats {
  messages: number;
  /** Readings the ingester should store. */
  readings: number;
  deadLetters: Partial<Record<DeadLetterReason, number>>;
  /** Readings not sent because their sensor was offline. */
  offlineSkipped: number;
}

interface SensorState {
  id: string;
  asset: number;
  offsetC: number;
  noiseC: number;
  seq: number;
  batteryPct: number;
  nextDue: number;
  isoOffsetMin: number | null;
  rng: () => number;
  offline: boolean;
  garbage: boolean;
  skew: boolean;
}

interface AssetSim {
  id: string;
  nodeId: string;
  kind: SimAssetKind;
  profile: ThermalProfile;
  state: AssetState;
  at: number;
  rng: () => number;
  failing: boolean;
}

type Item = {
  sensorId: string;
  assetId: string;
  ts: number;
  body: Record<string, unknown>;
  raw?: string;
  expect: DeadLetterReason | null;
};

/** The cold-chain simulator: call `tick(now)` with increasing times, publish what it returns. */
export class ColdChainSimulator {
  readonly stats: SimStats = { messages: 0, readings: 0, deadLetters: {}, offlineSkipped: 0 };
  /** Every sample measured, in order (tests and the CLI's summary read it); capped by `keepSamples`. */
  readonly samples: SimSample[] = [];
  private readonly assets: AssetSim[];
  private readonly sensors: SensorState[];
  private readonly intervalMs: number;
  private readonly gateways = new Map<string, Item[]>();
  private readonly topics: TopicScheme;

  constructor(
    private readonly opts: SimulatorOptions,
    private readonly keepSamples = 100_000,
  ) {
    if (!(opts.rateHz > 0)) throw new RangeError('rateHz must be positive');
    if (opts.batch !== undefined && !(opts.batch >= 1 && opts.batch <= 1000))
      throw new RangeError('batch must be 1..1000');
    this.intervalMs = 1000 / opts.rateHz;
    this.topics = opts.topics ?? DEFAULT_TOPICS;
    const faults = opts.faults;
    const pick = (kind: FaultKind, n: number): Set<number> => {
      if (!faults?.kinds.includes(kind) || n === 0) return new Set();
      const rng = seededRng(opts.seed, 7, FAULT_KINDS.indexOf(kind));
      const want = Math.max(1, Math.round(n * (faults.share ?? 0.1)));
      const order = Array.from({ length: n }, (_, i) => ({ i, r: rng() })).sort((a, b) => a.r - b.r);
      return new Set(order.slice(0, want).map((o) => o.i));
    };
    const excursion = pick('excursion', opts.network.assets.length);
    this.assets = opts.network.assets.map((a, i) => {
      const rng = seededRng(opts.seed, 2, i);
      const profile = THERMAL_PROFILES[a.kind];
      return {
        id: a.id,
        nodeId: a.nodeId,
        kind: a.kind,
        profile,
        state: initialAssetState(profile, rng, opts.startMs),
        at: opts.startMs,
        rng,
        failing: excursion.has(i),
      };
    });
    const assetIndex = new Map(this.assets.map((a, i) => [a.id, i]));
    const n = opts.network.sensors.length;
    const offline = pick('offline', n);
    const garbage = pick('garbage', n);
    const skew = pick('skew', n);
    this.sensors = opts.network.sensors.map((s, i) => {
      const rng = seededRng(opts.seed, 3, i);
      return {
        id: s.id,
        asset: assetIndex.get(s.assetId)!,
        offsetC: normal(rng) * 0.2,
        noiseC: 0.05 + rng() * 0.1,
        seq: Math.floor(rng() * 1000),
        batteryPct: 60 + rng() * 40,
        nextDue: opts.startMs + rng() * this.intervalMs,
        // Some firmware sends ISO times in local time with an offset (China, +08:00), most epoch ms.
        isoOffsetMin: rng() < 0.3 ? 480 : null,
        rng,
        offline: offline.has(i),
        garbage: garbage.has(i),
        skew: skew.has(i),
      };
    });
  }

  private faultActive(t: number): boolean {
    const f = this.opts.faults;
    return !!f && t >= f.fromMs && t < f.toMs;
  }

  /** Measure one sensor at time t (advancing its asset to t). */
  private measure(s: SensorState, t: number): SimSample {
    const a = this.assets[s.asset]!;
    if (t > a.at) {
      advanceAsset(a.profile, a.state, a.at, t, a.rng, (x) => a.failing && this.faultActive(x));
      a.at = t;
    }
    const doorOpen = t < a.state.doorOpenUntil;
    s.seq++;
    s.batteryPct = Math.max(5, s.batteryPct - 0.0005);
    const round1 = (x: number) => Math.round(x * 10) / 10;
    return {
      sensorId: s.id,
      assetId: a.id,
      nodeId: a.nodeId,
      kind: a.kind,
      ts: Math.round(t),
      seq: s.seq,
      tempC: round1(a.state.tempC + s.offsetC + normal(s.rng) * s.noiseC),
      humidityPct: Math.round(
        Math.min(100, Math.max(0, a.profile.humidityPct + normal(s.rng) * 2 - (doorOpen ? 8 : 0))),
      ),
      doorOpen,
      defrost: t < a.state.defrostUntil,
      batteryPct: Math.round(s.batteryPct),
    };
  }

  private tsField(s: SensorState, ts: number): number | string {
    if (s.isoOffsetMin === null) return ts;
    const local = new Date(ts + s.isoOffsetMin * 60_000).toISOString().slice(0, -1);
    const h = String(Math.floor(s.isoOffsetMin / 60)).padStart(2, '0');
    const m = String(s.isoOffsetMin % 60).padStart(2, '0');
    return `${local}+${h}:${m}`;
  }

  /** The reading as its sensor reports it, with skew and garbage applied while they act. */
  private item(s: SensorState, x: SimSample, inBatch: boolean): Item {
    const active = this.faultActive(x.ts);
    const ts = active && s.skew ? x.ts + (this.opts.faults?.skewMs ?? 3_600_000) : x.ts;
    const body: Record<string, unknown> = {
      ts: this.tsField(s, ts),
      seq: x.seq,
      temp_c: x.tempC,
      humidity_pct: x.humidityPct,
      door_open: x.doorOpen,
      battery_pct: x.batteryPct,
      defrost: x.defrost,
    };
    let expect: DeadLetterReason | null = active && s.skew ? 'clock_skew' : null;
    let raw: string | undefined;
    if (active && s.garbage && s.rng() < (this.opts.faults?.garbageRate ?? 0.5)) {
      // Garbage wins over skew: the parser rejects the shape before it looks at the time.
      const variants = inBatch ? 2 : 3;
      const v = Math.floor(s.rng() * variants);
      if (v === 0) {
        body.temp_c = String(x.tempC); // firmware sending strings
        expect = 'schema_violation';
      } else if (v === 1) {
        body.temp_c = 999.9; // a shorted probe
        expect = 'impossible_value';
      } else {
        raw = JSON.stringify({ v: 1, ...body }).slice(0, 25); // truncated on the wire
        expect = 'malformed_json';
      }
    }
    return { sensorId: s.id, assetId: x.assetId, ts: x.ts, body, raw, expect };
  }

  private count(m: SimMessage): SimMessage {
    this.stats.messages++;
    this.stats.readings += m.readings;
    for (const r of m.deadLetters) this.stats.deadLetters[r] = (this.stats.deadLetters[r] ?? 0) + 1;
    return m;
  }

  private batchMessage(nodeId: string, items: Item[]): SimMessage {
    const gateway = `${nodeId}-gw`;
    const readings = items.map((i) => ({ sensor: i.sensorId, asset: i.assetId, ...i.body }));
    return this.count({
      topic: this.topics.batchTopic(nodeId, gateway),
      payload: JSON.stringify({ v: 1, gateway, readings }),
      readings: items.filter((i) => i.expect === null).length,
      deadLetters: items.flatMap((i) => (i.expect ? [i.expect] : [])),
    });
  }

  /** Everything due in (previous tick, now]: samples in time order, as messages. */
  tick(now: number): SimMessage[] {
    const due: { s: SensorState; t: number }[] = [];
    for (const s of this.sensors) {
      while (s.nextDue <= now) {
        due.push({ s, t: s.nextDue });
        s.nextDue += this.intervalMs;
      }
    }
    due.sort((a, b) => a.t - b.t);
    const out: SimMessage[] = [];
    for (const { s, t } of due) {
      const sample = this.measure(s, t);
      if (this.samples.length < this.keepSamples) this.samples.push(sample);
      if (s.offline && this.faultActive(t)) {
        this.stats.offlineSkipped++;
        continue;
      }
      if (this.opts.batch === undefined) {
        const it = this.item(s, sample, false);
        out.push(
          this.count({
            topic: this.topics.readingTopic(sample.nodeId, sample.assetId, s.id),
            payload: it.raw ?? JSON.stringify({ v: 1, ...it.body }),
            readings: it.expect ? 0 : 1,
            deadLetters: it.expect ? [it.expect] : [],
          }),
        );
      } else {
        const buffer = this.gateways.get(sample.nodeId) ?? [];
        buffer.push(this.item(s, sample, true));
        this.gateways.set(sample.nodeId, buffer);
        if (buffer.length >= this.opts.batch)
          out.push(this.batchMessage(sample.nodeId, buffer.splice(0, this.opts.batch)));
      }
    }
    const flushMs = this.opts.batchFlushMs ?? 1000;
    for (const [nodeId, buffer] of this.gateways) {
      if (buffer.length && now - buffer[0]!.ts >= flushMs) out.push(this.batchMessage(nodeId, buffer.splice(0)));
    }
    return out;
  }

  /** Partial gateway batches still buffered (call once at the end of a run). */
  flush(): SimMessage[] {
    const out: SimMessage[] = [];
    for (const [nodeId, buffer] of this.gateways)
      if (buffer.length) out.push(this.batchMessage(nodeId, buffer.splice(0)));
    return out;
  }

  /** Which sensors and assets each fault touches (for summaries and tests). */
  faultTargets(): Record<FaultKind, string[]> {
    return {
      excursion: this.assets.filter((a) => a.failing).map((a) => a.id),
      offline: this.sensors.filter((s) => s.offline).map((s) => s.id),
      garbage: this.sensors.filter((s) => s.garbage).map((s) => s.id),
      skew: this.sensors.filter((s) => s.skew).map((s) => s.id),
    };
  }
}

/** Parse a CLI fault list ("excursion,offline"); throws on an unknown kind. */
export function parseFaultKinds(text: string | undefined): FaultKind[] {
  if (!text) return [];
  return text
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => {
      if (!(FAULT_KINDS as readonly string[]).includes(k))
        throw new RangeError(`unknown fault "${k}" (expected ${FAULT_KINDS.join(', ')})`);
      return k as FaultKind;
    });
}
