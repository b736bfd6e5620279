// Closing the loop with fulfilment: lots exposed to a hard-limit breach, or to an excursion that
// cost them too much shelf life, are quarantined (not allocatable), and the orders holding
// reservations on them are recorded so that their workflows are signalled after the commit.
import type { PoolClient } from 'pg';
import type { AlertRecord } from '../../db/alerts';
import { insertImpacts, lotsAtAssetDuring, ordersHoldingLots, quarantineLots, sensorTemps } from '../../db/alerts';
import type { RuleProfile } from '../../domain/coldchain/bands';
import type { TempPoint } from '../../domain/coldchain/mkt';
import { exposureVerdict, mergePoints } from './shelfLifeImpact';

/** A lot to quarantine and why. */
interface LotVerdict {
  lotId: string;
  reason: string;
  detail: string;
}

/**
 * Quarantine the lots (those still available), record them and the orders holding them as the
 * alert's impacts. Returns true when orders were recorded (they need a signal).
 */
async function quarantineAndRecord(c: PoolClient, alert: AlertRecord, verdicts: readonly LotVerdict[]): Promise<boolean> {
  if (verdicts.length === 0) return false;
  const byLot = new Map(verdicts.map((v) => [v.lotId, v]));
  const changed = await quarantineLots(c, verdicts.map((v) => ({ lotId: v.lotId, reason: `${v.reason}: ${v.detail} (alert ${alert.id})` })));
  if (changed.length === 0) return false;
  await insertImpacts(c, changed.map((lotId) => ({ alertId: alert.id, kind: 'lot' as const, refId: lotId, reason: byLot.get(lotId)!.reason, detail: byLot.get(lotId)!.detail, lotIds: [lotId] })));
  const orders = await ordersHoldingLots(c, changed);
  await insertImpacts(c, orders.map((o) => {
    const reasons = [...new Set(o.lotIds.map((l) => byLot.get(l)?.reason ?? 'quarantined'))].sort();
    return { alertId: alert.id, kind: 'order' as const, refId: o.orderId, reason: reasons.join(','), detail: `holds quarantined lots ${o.lotIds.join(', ')}`, lotIds: o.lotIds };
  }));
  return orders.length > 0;
}

/** A hard limit was breached at `at`: every available lot at the asset then is quarantined. */
export async function quarantineForHardLimit(c: PoolClient, alert: AlertRecord, at: number, detail: string): Promise<boolean> {
  const lots = await lotsAtAssetDuring(c, alert.assetId, at, at);
  const verdicts = lots.filter((l) => l.status === 'available').map((l) => ({ lotId: l.lotId, reason: 'hard_limit_breached', detail }));
  return quarantineAndRecord(c, alert, verdicts);
}

/**
 * Check the shelf life the excursion cost each available lot that was at the asset during its
 * window (up to `now` while it lasts), from the stored readings of the alert's sensor plus
 * `extra` readings not stored yet (the evaluator's current batch). Returns true when orders
 * were recorded.
 */
export async function quarantineForShelfLife(c: PoolClient, alert: AlertRecord, profile: RuleProfile, now: number, extra: readonly TempPoint[] = []): Promise<boolean> {
  const from = alert.windowStart;
  const to = Math.max(from, alert.windowEnd ?? now);
  const lots = (await lotsAtAssetDuring(c, alert.assetId, from, to)).filter((l) => l.status === 'available');
  if (lots.length === 0) return false;
  const maxGapMs = profile.offlineTimeoutSec * 1000;
  const stored = await sensorTemps(c, alert.sensorId, from - maxGapMs, to);
  const points = mergePoints(stored, extra.filter((p) => p.ts >= from - maxGapMs && p.ts <= to));
  const verdicts: LotVerdict[] = [];
  for (const lot of lots) {
    const v = exposureVerdict({
      points, from: lot.from, to: lot.to, maxGapMs, now, expiresOn: lot.expiresOn, minShelfLifeDays: lot.minShelfLifeDays,
      params: { q10: lot.q10, refTempC: lot.refTempC, shelfLifeDaysAtRef: lot.shelfLifeDaysAtRef },
    });
    if (v.decision.quarantine) verdicts.push({ lotId: lot.lotId, reason: v.decision.reason, detail: `${v.decision.detail}; excursion cost ${v.excessDays.toFixed(2)} d` });
  }
  return quarantineAndRecord(c, alert, verdicts);
}
