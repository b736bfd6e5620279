import type { Db } from '../db/pool';
import type { SensorRecord } from '../db/telemetry';
import { loadSensors, loadSensorsById } from '../db/telemetry';
import { placementMismatch } from '../domain/coldchain/registry';
import type { Reading } from '../domain/coldchain/telemetry';

/** How the sensor cache behaves; the defaults suit a production ingester. */
export interface SensorCacheOptions {
  /**
   * A full reload this often picks up deactivated sensors and changed bands. Half a minute, so
   * that a change made through master data is in force within a minute: the reload starts on
   * the first reading after the period and its query must finish too.
   */
  refreshMs?: number;
  /** An id the database just said is unknown stays unknown this long without asking again. */
  unknownTtlMs?: number;
  /** At most this many unknown ids are remembered (a flood of made-up ids must not grow memory). */
  maxUnknown?: number;
}

/**
 * The sensors the ingester accepts, cached in memory. A reading from an id the cache does not
 * hold asks the database for that id (ids asked in the same turn share one query), so a sensor
 * registered a moment before its first reading is accepted: a full reload on a timer would
 * dead-letter it until the next reload. Ids the database does not know are remembered for
 * `unknownTtlMs`, which bounds the queries a stream of unregistered ids can cause.
 */
export class SensorCache {
  private sensors = new Map<string, SensorRecord>();
  private readonly unknownUntil = new Map<string, number>();
  private loadedAt = 0;
  private reloading: Promise<void> | undefined;
  private batch: { ids: Set<string>; result: Promise<Map<string, SensorRecord>> } | undefined;
  private readonly refreshMs: number;
  private readonly unknownTtlMs: number;
  private readonly maxUnknown: number;
  private closed = false;

  constructor(
    private readonly db: Db,
    opts: SensorCacheOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 30_000;
    this.unknownTtlMs = opts.unknownTtlMs ?? 1_000;
    this.maxUnknown = opts.maxUnknown ?? 10_000;
  }

  /** Load every sensor (at start, and every `refreshMs` in the background). */
  async load(): Promise<void> {
    this.reloading ??= loadSensors(this.db)
      .then((rows) => {
        this.sensors = new Map(rows.map((r) => [r.sensorId, r]));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  /** Synchronous hit test for the hot path; undefined means "ask lookup()". */
  known(sensorId: string): SensorRecord | undefined {
    if (this.reloading === undefined && Date.now() - this.loadedAt >= this.refreshMs) {
      // A failed background reload keeps the old map; the next call tries again.
      this.load().catch(() => undefined);
    }
    const r = this.sensors.get(sensorId);
    return r?.active ? r : undefined;
  }

  /** The sensor if registered and active, asking the database when the cache does not hold it. */
  async lookup(sensorId: string): Promise<SensorRecord | undefined> {
    const cached = this.sensors.get(sensorId);
    if (cached) return cached.active ? cached : undefined;
    const until = this.unknownUntil.get(sensorId);
    if (until !== undefined && until > Date.now()) return undefined;
    // The database being away is no verdict on the sensor: ask again until it answers (the
    // message stays unacknowledged meanwhile, and the broker's in-flight window bounds how many wait).
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 5_000)) {
      try {
        const found = (await this.fetch(sensorId)).get(sensorId);
        return found?.active ? found : undefined;
      } catch (err) {
        if (this.closed) throw err;
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /**
   * Why a reading cannot be stored, or null: an unknown or inactive sensor, or a topic placing
   * it on another asset or node than it is registered to (a mis-configured device must not
   * write into another asset's history).
   */
  async problemWith(reading: Pick<Reading, 'sensorId' | 'assetId' | 'nodeId'>): Promise<string | null> {
    const cached = this.problemIfKnown(reading);
    if (cached !== undefined) return cached;
    const registered = await this.lookup(reading.sensorId);
    return registered
      ? placementMismatch(reading, registered)
      : `sensor ${reading.sensorId} is not registered or not active`;
  }

  /** `problemWith` without a wait for a sensor the cache holds (the hot path); undefined: ask `problemWith`. */
  problemIfKnown(reading: Pick<Reading, 'sensorId' | 'assetId' | 'nodeId'>): string | null | undefined {
    const registered = this.known(reading.sensorId);
    return registered ? placementMismatch(reading, registered) : undefined;
  }

  /** How much the cache holds: registered sensors, and ids remembered as unknown. */
  stats(): { sensors: number; unknownRemembered: number } {
    return { sensors: this.sensors.size, unknownRemembered: this.unknownUntil.size };
  }

  /** Lookups waiting for the database give up (the ingester is stopping; their messages stay unacknowledged). */
  close(): void {
    this.closed = true;
  }

  private fetch(sensorId: string): Promise<Map<string, SensorRecord>> {
    if (!this.batch) {
      const ids = new Set<string>();
      const result = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        // Ids asked from now on go to the next query: this one may not see their rows.
        if (this.batch?.ids === ids) this.batch = undefined;
        const rows = await loadSensorsById(this.db, [...ids]);
        const found = new Map(rows.map((r) => [r.sensorId, r]));
        for (const r of rows) this.sensors.set(r.sensorId, r);
        if (this.unknownUntil.size + ids.size > this.maxUnknown) this.unknownUntil.clear();
        const until = Date.now() + this.unknownTtlMs;
        for (const id of ids) if (!found.has(id)) this.unknownUntil.set(id, until);
        return found;
      });
      this.batch = { ids, result };
    }
    this.batch.ids.add(sensorId);
    return this.batch.result;
  }
}
