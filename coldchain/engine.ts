// The evaluator's work without the broker: readings in, rule state + alerts + webhook events +
// quarantine out, in one transaction per batch; and the periodic sweep (offline sensors,
// escalation, shelf-life re-checks, outbox). Several instances may run at once: state rows are
// locked per sensor (FOR UPDATE, in sensor order), and sweeps skip rows others hold.
import type { PoolClient } from 'pg';
import {
  ensureSensorStates,
  lockEscalationsDue,
  lockImpactChecksDue,
  lockOfflineDue,
  lockSensorStates,
  lockUnwatchedSensors,
  markImpactChecked,
  saveSensorStates,
  unsignalledOrders,
  watchSilentSensors,
} from '../db/alerts';
import type { SensorStateRow } from '../db/alerts';
import type { Db } from '../db/pool';
import { unstartedDeliveries } from '../db/webhooks';
import type { EscalationTable } from '../domain/coldchain/alerts';
import type { TempPoint } from '../domain/coldchain/mkt';
import { evaluateOffline, evaluateReading, initialRuleState } from '../domain/coldchain/rules';
import type { RuleEvent, SensorRuleState } from '../domain/coldchain/rules';
import type { Reading } from '../domain/coldchain/telemetry';
import type { Logger } from '../platform/logger';
import { applyRuleEvents, escalateIfDue, recheckImpact } from './alertStore';
import type { SensorContext, SensorRuleEvents } from './alertStore';
import type { OutboxDispatcher } from './webhooks/dispatcher';
import { DEFAULT_ESCALATION } from './escalation';
import type { AlertMetrics } from './metrics';
import { offlineDueAt, restoreState, watchNeverReported } from './offline';
import { emptyOutbox, mergeOutbox } from './outboxTypes';
import type { Outbox } from './outboxTypes';
import type { ProfileCache } from './profiles';

/** Tunables of the engine. */
export interface AlertEngineOptions {
  escalation?: EscalationTable;
  /** Sensors declared offline per sweep transaction. */
  offlineBatch?: number;
  /** Re-check an excursion's shelf-life impact this often while it lasts (and just after). */
  impactRecheckMs?: number;
  /** Keep re-checking a closed excursion this long (its last readings may still be arriving). */
  impactSettleMs?: number;
  /** The sweep takes over outbox items older than this (the post-commit path had its chance). */
  outboxGraceMs?: number;
  /**
   * Scope to one node (a site-local deployment, or a test): only its telemetry is subscribed
   * and only its sensors, alerts and outbox are swept. Default: every node.
   */
  nodeId?: string;
  /** When this evaluator started watching (epoch ms; default: when the engine was made). */
  startedAt?: number;
}

/** What the engine needs. */
export interface AlertEngineDeps {
  db: Db;
  logger: Logger;
  profiles: ProfileCache;
  metrics: AlertMetrics;
}

/** Rule evaluation and sweeps against the database. */
export class AlertEngine {
  private readonly escalation: EscalationTable;
  private readonly scope: string | null;
  private readonly startedAt: number;

  constructor(
    private readonly deps: AlertEngineDeps,
    private readonly opts: AlertEngineOptions = {},
  ) {
    this.escalation = opts.escalation ?? DEFAULT_ESCALATION;
    this.scope = opts.nodeId ?? null;
    this.startedAt = opts.startedAt ?? Date.now();
  }

  private async context(row: SensorStateRow): Promise<SensorContext | null> {
    if (!row.active) return null;
    const profile = await this.deps.profiles.resolve(row.profileId);
    if (!profile) {
      this.deps.logger.warn(
        { sensorId: row.sensorId, profileId: row.profileId },
        'no rule profile for the asset band; sensor not evaluated',
      );
      return null;
    }
    return { sensorId: row.sensorId, assetId: row.assetId, nodeId: row.nodeId, profileId: row.profileId, profile };
  }

  private restore(row: SensorStateRow): SensorRuleState {
    const { state, reset } = restoreState(row.sensorId, row.state);
    if (reset)
      this.deps.logger.warn({ sensorId: row.sensorId }, 'stored rule state has another layout; starting afresh');
    return state;
  }

  /** Count a batch's rule events and apply them all at once (load, decide, write). */
  private async applyEvents(c: PoolClient, groups: readonly SensorRuleEvents[], now: number): Promise<Outbox> {
    if (groups.length === 0) return emptyOutbox();
    for (const g of groups) for (const e of g.events) this.deps.metrics.ruleEvents.inc({ type: e.type });
    return applyRuleEvents(c, groups, { now, escalation: this.escalation });
  }

  /**
   * Evaluate readings (any sensors, any order) in one transaction: per sensor in ts order,
   * from its persisted state; state, alerts, impacts and webhook events commit together.
   * Returns what to do after the commit.
   */
  async processReadings(readings: readonly Reading[], now = Date.now()): Promise<Outbox> {
    const bySensor = new Map<string, Reading[]>();
    for (const r of readings) {
      const list = bySensor.get(r.sensorId);
      if (list) list.push(r);
      else bySensor.set(r.sensorId, [r]);
    }
    for (const list of bySensor.values()) list.sort((a, b) => a.ts - b.ts);
    const ids = [...bySensor.keys()].sort();
    await this.deps.profiles.refreshIfStale();
    const m = this.deps.metrics;
    return this.deps.db.transaction(async (c) => {
      await ensureSensorStates(c, ids, (id) => initialRuleState(id));
      const rows = await lockSensorStates(c, ids);
      const groups: SensorRuleEvents[] = [];
      const saves: { state: SensorRuleState; offlineDueAt: number | null }[] = [];
      const seen = new Set(rows.map((r) => r.sensorId));
      for (const id of ids) if (!seen.has(id)) m.readings.inc({ result: 'unknown_sensor' }, bySensor.get(id)!.length);
      for (const row of rows) {
        const list = bySensor.get(row.sensorId)!;
        const ctx = await this.context(row);
        if (!ctx) {
          m.readings.inc({ result: row.active ? 'no_profile' : 'inactive' }, list.length);
          continue;
        }
        let state = this.restore(row);
        const events: RuleEvent[] = [];
        const points: TempPoint[] = [];
        for (const r of list) {
          // A device configured with the wrong asset must not drive another asset's alerts.
          if (r.assetId !== row.assetId || r.nodeId !== row.nodeId) {
            m.readings.inc({ result: 'wrong_asset' });
            continue;
          }
          const step = evaluateReading(state, r, ctx.profile);
          state = step.state;
          events.push(...step.events);
          points.push({ ts: r.ts, tempC: r.tempC });
          m.readings.inc({ result: step.ignored ?? 'evaluated' });
        }
        saves.push({ state, offlineDueAt: offlineDueAt(state, ctx.profile) });
        if (events.length) groups.push({ ctx, events, batchPoints: points });
      }
      await saveSensorStates(c, saves);
      return this.applyEvents(c, groups, now);
    });
  }

  /** Declare silent sensors offline (and start watching registered sensors that never spoke). */
  async sweepOffline(now = Date.now()): Promise<Outbox> {
    return this.deps.db.transaction(async (c) => {
      await this.watchUnwatched(c);
      const rows = await lockOfflineDue(c, now, this.opts.offlineBatch ?? 500, this.scope);
      const groups: SensorRuleEvents[] = [];
      const saves: { state: SensorRuleState; offlineDueAt: number | null }[] = [];
      for (const row of rows) {
        const ctx = await this.context(row);
        const state = this.restore(row);
        if (!ctx) {
          saves.push({ state, offlineDueAt: null }); // not watched until a reading brings it back
          continue;
        }
        const step = evaluateOffline(state, now, ctx.profile);
        saves.push({ state: step.state, offlineDueAt: offlineDueAt(step.state, ctx.profile) });
        if (step.events.length) groups.push({ ctx, events: step.events });
      }
      await saveSensorStates(c, saves);
      return this.applyEvents(c, groups, now);
    });
  }

  /**
   * Give every active sensor without an offline deadline one: a sensor that never reported is
   * watched from its registration (or this evaluator's start, whichever is later). Without this,
   * such a sensor had no deadline and never went offline. Rows whose profile is missing stay
   * without one and are looked at again on a later sweep.
   */
  private async watchUnwatched(c: PoolClient): Promise<void> {
    await watchSilentSensors(c, (id) => initialRuleState(id), this.scope);
    const rows = await lockUnwatchedSensors(c, this.opts.offlineBatch ?? 500, this.scope);
    const saves: { state: SensorRuleState; offlineDueAt: number | null }[] = [];
    for (const row of rows) {
      const ctx = await this.context(row);
      const state = watchNeverReported(this.restore(row), row.registeredAt, this.startedAt);
      saves.push({ state, offlineDueAt: ctx ? offlineDueAt(state, ctx.profile) : null });
    }
    await saveSensorStates(c, saves);
  }

  /** Escalate unacknowledged alerts whose next step is due. */
  async sweepEscalations(now = Date.now()): Promise<Outbox> {
    return this.deps.db.transaction(async (c) => {
      const outbox = emptyOutbox();
      for (const alert of await lockEscalationsDue(c, now, 200, this.scope))
        mergeOutbox(outbox, await escalateIfDue(c, alert, now, this.escalation));
      return outbox;
    });
  }

  /** Re-check the shelf-life impact of running (and just closed) excursions. */
  async sweepImpacts(now = Date.now()): Promise<Outbox> {
    return this.deps.db.transaction(async (c) => {
      const outbox = emptyOutbox();
      const due = await lockImpactChecksDue(
        c,
        now,
        this.opts.impactRecheckMs ?? 60_000,
        this.opts.impactSettleMs ?? 5 * 60_000,
        100,
        this.scope,
      );
      for (const alert of due) {
        const profile = await this.deps.profiles.resolve(alert.profileId);
        if (profile) mergeOutbox(outbox, await recheckImpact(c, alert, profile, now));
        await markImpactChecked(c, alert.id, now);
      }
      return outbox;
    });
  }

  /**
   * Finish what post-commit dispatches did not (a crash, Temporal unreachable): start delivery
   * workflows and send order signals older than the grace period. Rows are claimed with
   * FOR UPDATE SKIP LOCKED, so two instances never work on the same item at once.
   */
  async sweepOutbox(dispatcher: OutboxDispatcher, now = Date.now()): Promise<{ started: number; signalled: number }> {
    const olderThan = now - (this.opts.outboxGraceMs ?? 5_000);
    const started = await this.deps.db.transaction(async (c) =>
      dispatcher.startDeliveries(await unstartedDeliveries(c, olderThan, 200, true, this.scope), c),
    );
    const signalled = await this.deps.db.transaction(async (c) =>
      dispatcher.signalOrders(await unsignalledOrders(c, { olderThan, limit: 200, lock: true, nodeId: this.scope }), c),
    );
    return { started, signalled };
  }

  /** One full sweep; each part's failure is logged and does not stop the others. Returns the parts that failed. */
  async sweep(dispatcher: OutboxDispatcher, now = Date.now()): Promise<string[]> {
    const failed: string[] = [];
    const parts: [string, () => Promise<Outbox>][] = [
      ['offline', () => this.sweepOffline(now)],
      ['escalation', () => this.sweepEscalations(now)],
      ['impacts', () => this.sweepImpacts(now)],
    ];
    for (const [name, run] of parts) {
      try {
        await dispatcher.dispatch(await run());
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message, part: name }, 'alert sweep part failed');
        failed.push(name);
      }
    }
    try {
      await this.sweepOutbox(dispatcher, now);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, part: 'outbox' }, 'alert sweep part failed');
      failed.push('outbox');
    }
    return failed;
  }
}
