import { expect } from 'chai';
import { DEFAULT_PROFILES } from '../../../domain/coldchain/bands';
import { parseTelemetryMessage } from '../../../domain/coldchain/telemetry';
import type { DeadLetterReason } from '../../../domain/coldchain/telemetry';
import type { FaultPlan, SimAssetKind, SimMessage, SimSample } from '../../../demo/simulator';
import {
  advanceAsset,
  buildSimNetwork,
  ColdChainSimulator,
  initialAssetState,
  parseFaultKinds,
  seededRng,
  stepTemperature,
  THERMAL_PROFILES,
} from '../../../demo/simulator';
import { parseSimulateArgs } from '../../../demo/simulate-main';

const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;

/** Run a simulator over [T0, T0 + ms) with ticks of `tickMs`; returns every message. */
function run(sim: ColdChainSimulator, ms: number, tickMs = 1000): SimMessage[] {
  const out: SimMessage[] = [];
  for (let t = T0; t <= T0 + ms; t += tickMs) out.push(...sim.tick(t));
  out.push(...sim.flush());
  return out;
}

function simulator(
  opts: {
    sensors?: number;
    nodes?: number;
    vans?: number;
    seed?: number;
    rateHz?: number;
    batch?: number;
    faults?: FaultPlan;
  } = {},
) {
  const network = buildSimNetwork({
    prefix: 'sim',
    nodes: opts.nodes ?? 2,
    sensors: opts.sensors ?? 10,
    vans: opts.vans ?? 2,
    seed: opts.seed ?? 1,
  });
  return new ColdChainSimulator(
    {
      network,
      seed: opts.seed ?? 1,
      rateHz: opts.rateHz ?? 1 / 30,
      startMs: T0,
      batch: opts.batch,
      faults: opts.faults,
    },
    1_000_000,
  );
}

const byKind = (samples: SimSample[], kind: SimAssetKind) => samples.filter((s) => s.kind === kind);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('demo/simulator: thermal model', () => {
  it('holds each asset kind around its setpoint with a compressor sawtooth', () => {
    for (const kind of ['fridge', 'freezer', 'cold_room', 'van'] as const) {
      const p = THERMAL_PROFILES[kind];
      const rng = seededRng(42, kind.length);
      // No doors, no defrost: the thermostat alone.
      const quiet = { ...p, door: { ...p.door, perHour: 1e-9 }, defrost: null };
      const s = initialAssetState(quiet, rng, T0);
      const temps: number[] = [];
      let switches = 0;
      let on = s.compressorOn;
      for (let t = T0; t < T0 + 4 * HOUR; t += 10_000) {
        advanceAsset(quiet, s, t, t + 10_000, rng, () => false);
        temps.push(s.tempC);
        if (s.compressorOn !== on) switches++;
        on = s.compressorOn;
      }
      expect(median(temps), kind).to.be.closeTo(p.setpointC, 0.5);
      expect(Math.max(...temps), kind).to.be.at.most(p.setpointC + p.hysteresisC + 0.1);
      expect(Math.min(...temps), kind).to.be.at.least(p.setpointC - p.hysteresisC - 0.1);
      expect(switches, `${kind} compressor cycles in 4 h`).to.be.at.least(8);
    }
  });

  it('uses the setpoints of the bands: fridges ~3 °C, freezers ~−20 °C, cold rooms ~2 °C, all inside their band', () => {
    expect(THERMAL_PROFILES.fridge.setpointC).to.equal(3);
    expect(THERMAL_PROFILES.freezer.setpointC).to.equal(-20);
    expect(THERMAL_PROFILES.cold_room.setpointC).to.equal(2);
    const sim = simulator({ sensors: 40, nodes: 3, vans: 3, rateHz: 1 / 60 });
    run(sim, 6 * HOUR, 60_000);
    for (const kind of ['fridge', 'freezer', 'cold_room', 'van'] as const) {
      const band = DEFAULT_PROFILES[THERMAL_PROFILES[kind].band].band;
      const all = byKind(sim.samples, kind);
      // Door openings, stops and defrosts push the air out of band for a while, but not for long.
      const inBand = all.filter(
        (s) =>
          (band.lowC === null || s.tempC >= band.lowC - 0.5) && (band.highC === null || s.tempC <= band.highC + 0.5),
      );
      expect(all.length, kind).to.be.greaterThan(100);
      expect(inBand.length / all.length, `${kind} share of time in band`).to.be.greaterThan(0.85);
      const steady = all.filter((s) => !s.doorOpen && !s.defrost);
      expect(median(steady.map((s) => s.tempC)), kind).to.be.closeTo(THERMAL_PROFILES[kind].setpointC, 1);
    }
  });

  it('warms the air while a door is open, more than with the door shut', () => {
    const p = THERMAL_PROFILES.fridge;
    const start = { tempC: 3, compressorOn: true };
    let open = start;
    let shut = start;
    for (let i = 0; i < 60; i++) {
      open = stepTemperature(p, open, 1, { doorOpen: true, defrost: false, failed: false });
      shut = stepTemperature(p, shut, 1, { doorOpen: false, defrost: false, failed: false });
    }
    expect(open.tempC).to.be.greaterThan(start.tempC);
    expect(open.tempC - shut.tempC).to.be.greaterThan(1);
  });

  it('shows door openings and van stops in the readings: the air warms while they last', () => {
    const sim = simulator({ sensors: 30, nodes: 2, vans: 4, rateHz: 1 / 10 });
    run(sim, 3 * HOUR, 10_000);
    for (const kind of ['fridge', 'van'] as const) {
      const open: number[] = [];
      const shut: number[] = [];
      const series = new Map<string, SimSample[]>();
      for (const s of byKind(sim.samples, kind)) series.set(s.sensorId, [...(series.get(s.sensorId) ?? []), s]);
      for (const xs of series.values()) {
        for (let i = 1; i < xs.length; i++) {
          const rise = xs[i]!.tempC - xs[i - 1]!.tempC;
          if (xs[i - 1]!.doorOpen && xs[i]!.doorOpen) open.push(rise);
          else if (!xs[i - 1]!.doorOpen && !xs[i]!.doorOpen && !xs[i]!.defrost) shut.push(rise);
        }
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(open.length, `${kind} door-open samples`).to.be.greaterThan(5);
      // Per 10 s sample: a few hundredths of a degree up while open; about flat over a closed cycle.
      expect(mean(open), `${kind} mean rise per sample while open`).to.be.greaterThan(0.05);
      expect(mean(open) - mean(shut), kind).to.be.greaterThan(0.05);
    }
  });

  it('runs defrost cycles on freezers: flagged, and the air rises above the frozen band', () => {
    const sim = simulator({ sensors: 8, nodes: 2, vans: 0, rateHz: 1 / 30 });
    run(sim, 13 * HOUR, 30_000);
    const freezer = byKind(sim.samples, 'freezer');
    const defrosting = freezer.filter((s) => s.defrost);
    expect(defrosting.length).to.be.greaterThan(10);
    expect(Math.max(...defrosting.map((s) => s.tempC))).to.be.greaterThan(-18);
    expect(median(freezer.filter((s) => !s.defrost).map((s) => s.tempC))).to.be.lessThan(-18);
  });
});

describe('demo/simulator: faults and payloads', () => {
  it('an excursion drives the failed asset above its band for minutes, then it recovers', () => {
    const faults: FaultPlan = { kinds: ['excursion'], fromMs: T0 + HOUR, toMs: T0 + HOUR + 30 * MIN, share: 0.01 };
    const sim = simulator({ sensors: 20, nodes: 2, vans: 0, rateHz: 1 / 30, faults });
    run(sim, 3 * HOUR, 30_000);
    const [failed] = sim.faultTargets().excursion;
    const samples = sim.samples.filter((s) => s.assetId === failed);
    const band = DEFAULT_PROFILES[THERMAL_PROFILES[samples[0]!.kind].band].band;
    const during = samples.filter((s) => s.ts >= faults.fromMs && s.ts < faults.toMs);
    const above = during.filter((s) => s.tempC > band.highC! + 0.5);
    expect(above.length * 30, 'seconds above band during the fault').to.be.at.least(10 * 60);
    expect(Math.max(...during.map((s) => s.tempC))).to.be.greaterThan(band.highC! + 2);
    const lastHour = samples.filter((s) => s.ts >= T0 + 2.5 * HOUR && !s.doorOpen && !s.defrost);
    expect(median(lastHour.map((s) => s.tempC))).to.be.closeTo(THERMAL_PROFILES[samples[0]!.kind].setpointC, 1);
    // Other assets of the same kind stay in band meanwhile.
    const others = sim.samples.filter(
      (s) =>
        s.assetId !== failed &&
        s.kind === samples[0]!.kind &&
        s.ts >= faults.fromMs &&
        s.ts < faults.toMs &&
        !s.doorOpen &&
        !s.defrost,
    );
    expect(Math.max(...others.map((s) => s.tempC))).to.be.at.most(band.highC! + 1);
  });

  it('is deterministic for a seed, and another seed gives other readings', () => {
    const faults: FaultPlan = {
      kinds: ['garbage', 'skew', 'offline', 'excursion'],
      fromMs: T0 + 10 * MIN,
      toMs: T0 + 40 * MIN,
    };
    const a = run(simulator({ seed: 7, rateHz: 0.2, faults }), HOUR, 700);
    const b = run(simulator({ seed: 7, rateHz: 0.2, faults }), HOUR, 700);
    const c = run(simulator({ seed: 8, rateHz: 0.2, faults }), HOUR, 700);
    expect(a.length).to.be.greaterThan(100);
    expect(b).to.deep.equal(a);
    expect(c.map((m) => m.payload)).to.not.deep.equal(a.map((m) => m.payload));
  });

  it('produces payloads the parser accepts, and garbage and skew it dead-letters with the expected reasons', () => {
    for (const batch of [undefined, 20]) {
      const faults: FaultPlan = {
        kinds: ['garbage', 'skew'],
        fromMs: T0 + 5 * MIN,
        toMs: T0 + 25 * MIN,
        share: 0.3,
        garbageRate: 0.6,
      };
      const sim = simulator({ sensors: 20, rateHz: 0.5, batch, faults });
      // Parse each tick's messages at that tick's time, as a live ingester would.
      const messages: (SimMessage & { parsedAt: number })[] = [];
      for (let t = T0; t <= T0 + 30 * MIN; t += 1000) for (const m of sim.tick(t)) messages.push({ ...m, parsedAt: t });
      let readings = 0;
      const reasons: DeadLetterReason[] = [];
      for (const m of messages) {
        const parsed = parseTelemetryMessage(m.topic, Buffer.from(m.payload), { now: m.parsedAt });
        expect(parsed.readings.length, m.payload).to.equal(m.readings);
        expect(parsed.deadLetters.map((d) => d.reason).sort(), m.payload).to.deep.equal([...m.deadLetters].sort());
        readings += parsed.readings.length;
        reasons.push(...parsed.deadLetters.map((d) => d.reason));
      }
      const kinds = new Set(reasons);
      expect(kinds.has('clock_skew'), `clock_skew (batch ${batch})`).to.equal(true);
      expect(kinds.has('schema_violation'), `schema_violation (batch ${batch})`).to.equal(true);
      expect(kinds.has('impossible_value'), `impossible_value (batch ${batch})`).to.equal(true);
      if (batch === undefined) expect(kinds.has('malformed_json')).to.equal(true);
      else expect(messages.every((m) => JSON.parse(m.payload).readings.length <= 20)).to.equal(true);
      expect(readings).to.equal(sim.stats.readings);
      expect(reasons.length).to.equal(Object.values(sim.stats.deadLetters).reduce((a, b) => a + b, 0));
      // Outside the fault window every message is clean.
      const clean = messages.filter((m) => m.parsedAt < faults.fromMs || m.parsedAt > faults.toMs + 2000);
      expect(clean.length).to.be.greaterThan(50);
      expect(clean.every((m) => m.deadLetters.length === 0)).to.equal(true);
    }
  });

  it('an offline sensor publishes nothing while the fault lasts, and resumes after', () => {
    const faults: FaultPlan = { kinds: ['offline'], fromMs: T0 + 10 * MIN, toMs: T0 + 20 * MIN, share: 0.2 };
    const sim = simulator({ sensors: 10, rateHz: 0.1, faults });
    const messages = run(sim, 30 * MIN, 1000);
    const offline = sim.faultTargets().offline;
    expect(offline).to.have.length(2);
    const from = (id: string) =>
      messages
        .filter((m) => m.topic.endsWith(`/${id}`))
        .map((m) => JSON.parse(m.payload).ts as number | string)
        .map((ts) => (typeof ts === 'number' ? ts : Date.parse(ts)));
    for (const id of offline) {
      const ts = from(id);
      expect(ts.some((t) => t < faults.fromMs)).to.equal(true);
      expect(ts.some((t) => t >= faults.fromMs && t < faults.toMs)).to.equal(false);
      expect(ts.some((t) => t >= faults.toMs)).to.equal(true);
    }
    expect(sim.stats.offlineSkipped).to.equal(2 * 60);
  });

  it('sends per-sensor increasing seq and valid ids and topics', () => {
    const sim = simulator({ sensors: 12, vans: 2, rateHz: 1 });
    const messages = run(sim, 20_000, 250);
    const last = new Map<string, number>();
    for (const m of messages) {
      const parsed = parseTelemetryMessage(m.topic, Buffer.from(m.payload), { now: T0 + 30_000 });
      expect(parsed.deadLetters).to.deep.equal([]);
      for (const r of parsed.readings) {
        expect(r.seq!).to.be.greaterThan(last.get(r.sensorId) ?? -1);
        last.set(r.sensorId, r.seq!);
      }
    }
    expect(last.size).to.equal(12);
  });
});

describe('demo/simulator: network and CLI', () => {
  it('deals sensors round the assets of every node, vans included', () => {
    const net = buildSimNetwork({ prefix: 'p', nodes: 3, sensors: 20, vans: 2, seed: 1 });
    expect(net.nodes.map((n) => n.id)).to.deep.equal(['p-n0', 'p-n1', 'p-n2']);
    expect(net.sensors).to.have.length(20);
    expect(new Set(net.sensors.map((s) => s.id)).size).to.equal(20);
    expect(net.assets.filter((a) => a.kind === 'van')).to.have.length(2);
    expect(net.assets.find((a) => a.kind === 'freezer')!.band).to.equal('frozen');
    for (const s of net.sensors)
      expect(net.assets.some((a) => a.id === s.assetId && a.nodeId === s.nodeId)).to.equal(true);
    // Fewer sensors than assets: only assets with a sensor are kept, spread over the nodes.
    const small = buildSimNetwork({ prefix: 'p', nodes: 3, sensors: 3, vans: 2, seed: 1 });
    expect(small.assets).to.have.length(3);
    expect(new Set(small.assets.map((a) => a.nodeId)).size).to.equal(3);
  });

  it('parses the command line and rejects unknown faults and flags', () => {
    const a = parseSimulateArgs([
      '--sensors',
      '100',
      '--nodes',
      '4',
      '--vans',
      '3',
      '--rate-hz',
      '2',
      '--duration-s',
      '30',
      '--batch',
      '20',
      '--faults',
      'excursion,garbage',
      '--register',
    ]);
    expect(a).to.include({ sensors: 100, nodes: 4, vans: 3, rateHz: 2, durationS: 30, batch: 20, register: true });
    expect(a.faults).to.deep.equal(['excursion', 'garbage']);
    expect(() => parseSimulateArgs(['--faults', 'meteor'])).to.throw(/unknown fault/);
    expect(() => parseSimulateArgs(['--speed', '2'])).to.throw(/unknown flag/);
    expect(parseFaultKinds('offline, skew')).to.deep.equal(['offline', 'skew']);
  });
});
