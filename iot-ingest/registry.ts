import type { Db } from '../db/pool';
import type { SensorRecord } from '../db/telemetry';
import { loadSensors } from '../db/telemetry';

/**
 * The sensor registry, cached in memory. An unknown id triggers a reload (at most once per
 * `minReloadMs`), so a sensor registered a moment ago is accepted without a restart.
 */
export class SensorRegistry {
  private sensors = new Map<string, SensorRecord>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly minReloadMs = 1000,
  ) {}

  /** Load (or reload) every sensor. */
  async load(): Promise<void> {
    this.loading ??= loadSensors(this.db)
      .then((rows) => {
        this.sensors = new Map(rows.map((r) => [r.sensorId, r]));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** The sensor if known and active, reloading once when it is not known yet. */
  async lookup(sensorId: string): Promise<SensorRecord | undefined> {
    const hit = this.sensors.get(sensorId);
    if (hit) return hit.active ? hit : undefined;
    if (Date.now() - this.loadedAt >= this.minReloadMs) {
      await this.load().catch(() => undefined);
      const again = this.sensors.get(sensorId);
      return again?.active ? again : undefined;
    }
    return undefined;
  }

  /** Synchronous hit test for the hot path; undefined means "ask lookup()". */
  known(sensorId: string): SensorRecord | undefined {
    const r = this.sensors.get(sensorId);
    return r?.active ? r : undefined;
  }
}
