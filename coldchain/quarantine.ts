// Closing the loop with fulfilment: lots exposed to a hard-limit breach, or to an excursion that
// cost them too much shelf life, are quarantined (not allocatable), and the orders holding
// reservations on them are recorded so that their workflows are signalled after the commit.
import type { PoolClient } from 'pg';
import type { AlertRecord } from '../db/alerts';
import {
  getAlert,
  insertImpacts,
  lotsAtAssetDuring,
  orderHoldingsOfLots,
  quarantineLots,
  sensorTemps,
} from '../db/alerts';
import type { NewImpact } from '../db/alerts';
import type { RuleProfile } from '../domain/coldchain/bands';
import type { TempPoint } from '../domain/coldchain/mkt';
import { exposeShippedPicks, vanAlertsRunningAt } from '../db/transfers';
import { DELIVERED_EXPOSED, orderExposure } from '../domain/coldchain/orderExposure';
import { exposureVerdict, mergePoints } from './shelfLifeImpact';

/** A lot to quarantine and why. */
interface LotVerdict {
  lotId: string;
  reason: string;
  detail: string;
}

/**
 * The orders the alert impacts through these lots: those whose units were in the asset when the
 * episode began (orderExposure). In flight ones get a signal; those delivered since are recorded
 * as delivered_exposed (the customer must be told; a workflow signal cannot help).
 */
async function orderImpacts(
  c: PoolClient,
  alert: AlertRecord,
  lotIds: readonly string[],
  byLot: ReadonlyMap<string, LotVerdict>,
): Promise<NewImpact[]> {
  const impacts: NewImpact[] = [];
  for (const { orderId, holdings } of await orderHoldingsOfLots(c, lotIds)) {
    const exposure = orderExposure(holdings, alert.windowStart);
    if (!exposure.impacted) continue;
    const reason = [...new Set(exposure.lotIds.map((l) => byLot.get(l)?.reason ?? 'quarantined'))].sort().join(',');
    const base = { alertId: alert.id, kind: 'order' as const, refId: orderId, reason, lotIds: exposure.lotIds };
    if (exposure.status === 'in_flight')
      impacts.push({ ...base, detail: `holds quarantined lots ${exposure.lotIds.join(', ')}` });
    else
      impacts.push({
        ...base,
        detail: `delivered ${new Date(exposure.deliveredAt).toISOString()} from lots ${exposure.lotIds.join(', ')} exposed to the excursion`,
        settled: DELIVERED_EXPOSED,
      });
  }
  return impacts;
}

/**
 * Quarantine the lots (those still available), record them and the orders they impact as the
 * alert's impacts. Returns true when orders were recorded that need a signal.
 */
async function quarantineAndRecord(
  c: PoolClient,
  alert: AlertRecord,
  verdicts: readonly LotVerdict[],
): Promise<boolean> {
  if (verdicts.length === 0) return false;
  const byLot = new Map(verdicts.map((v) => [v.lotId, v]));
  const changed = await quarantineLots(
    c,
    verdicts.map((v) => ({ lotId: v.lotId, reason: `${v.reason}: ${v.detail} (alert ${alert.id})` })),
  );
  if (changed.length === 0) return false;
  await insertImpacts(
    c,
    changed.map((lotId) => ({
      alertId: alert.id,
      kind: 'lot' as const,
      refId: lotId,
      reason: byLot.get(lotId)!.reason,
      detail: byLot.get(lotId)!.detail,
      lotIds: [lotId],
    })),
  );
  const orders = await orderImpacts(c, alert, changed, byLot);
  await insertImpacts(c, orders);
  return orders.some((o) => o.settled === undefined);
}

/** A hard limit was breached at `at`: every available lot at the asset then is quarantined. */
export async function quarantineForHardLimit(
  c: PoolClient,
  alert: AlertRecord,
  at: number,
  detail: string,
): Promise<boolean> {
  const lots = await lotsAtAssetDuring(c, alert.assetId, at, at);
  const verdicts = lots
    .filter((l) => l.status === 'available')
    .map((l) => ({ lotId: l.lotId, reason: 'hard_limit_breached', detail }));
  return quarantineAndRecord(c, alert, verdicts);
}

/**
 * Check the shelf life the excursion cost each available lot that was at the asset during its
 * window (up to `now` while it lasts), from the stored readings of the alert's sensor plus
 * `extra` readings not stored yet (the evaluator's current batch). Returns true when orders
 * were recorded.
 */
export async function quarantineForShelfLife(
  c: PoolClient,
  alert: AlertRecord,
  profile: RuleProfile,
  now: number,
  extra: readonly TempPoint[] = [],
): Promise<boolean> {
  const from = alert.windowStart;
  const to = Math.max(from, alert.windowEnd ?? now);
  const lots = (await lotsAtAssetDuring(c, alert.assetId, from, to)).filter((l) => l.status === 'available');
  if (lots.length === 0) return false;
  const maxGapMs = profile.offlineTimeoutSec * 1000;
  const stored = await sensorTemps(c, alert.sensorId, from - maxGapMs, to);
  const points = mergePoints(
    stored,
    extra.filter((p) => p.ts >= from - maxGapMs && p.ts <= to),
  );
  const verdicts: LotVerdict[] = [];
  for (const lot of lots) {
    const v = exposureVerdict({
      points,
      from: lot.from,
      to: lot.to,
      maxGapMs,
      now,
      expiresOn: lot.expiresOn,
      minShelfLifeDays: lot.minShelfLifeDays,
      params: { q10: lot.q10, refTempC: lot.refTempC, shelfLifeDaysAtRef: lot.shelfLifeDaysAtRef },
    });
    if (v.decision.quarantine)
      verdicts.push({
        lotId: lot.lotId,
        reason: v.decision.reason,
        detail: `${v.decision.detail}; excursion cost ${v.excessDays.toFixed(2)} d`,
      });
  }
  return quarantineAndRecord(c, alert, verdicts);
}

/** Signal result of a transfer impact: no workflow to signal, the receipt quarantines the goods. */
export const IN_TRANSIT_EXPOSED = 'in_transit_exposed';

/**
 * An excursion or hard-limit alert on a van: the chilled and frozen goods of transfers whose trip
 * overlaps the alert's window are exposed, whatever the van's last hour looks like when they
 * arrive. Their picks are marked (the receipt quarantines the lots they become; lots already
 * received, when the stretch's readings came late, are quarantined now) and each transfer is
 * recorded as an impact of the alert. Returns true when orders were recorded that need a signal.
 */
export async function exposeInTransit(
  c: PoolClient,
  alert: AlertRecord,
  reason: string,
  detail: string,
): Promise<boolean> {
  const exposure = `${reason} on ${alert.assetId}: ${detail} (alert ${alert.id})`;
  const transfers = await exposeShippedPicks(c, alert.assetId, alert.id, exposure);
  await insertImpacts(
    c,
    transfers.map((t) => ({
      alertId: alert.id,
      kind: 'transfer' as const,
      refId: t.transferId,
      reason,
      lotIds: t.lotIds,
      settled: IN_TRANSIT_EXPOSED,
      detail: `in transit in ${alert.assetId}: lots ${t.lotIds.join(', ')} exposed`,
    })),
  );
  const arrived = transfers.flatMap((t) =>
    t.arrivedLots.map((lotId) => ({ lotId, reason, detail: `exposed in transit in ${alert.assetId}: ${detail}` })),
  );
  return quarantineAndRecord(c, alert, arrived);
}

/**
 * A transfer just shipped in a van: an excursion or hard-limit alert on the van still running
 * (opened before loading) exposes its goods as one opened during the trip would.
 */
export async function exposeShipment(c: PoolClient, vanAssetId: string, at: Date): Promise<void> {
  for (const id of await vanAlertsRunningAt(c, vanAssetId, at)) {
    const alert = await getAlert(c, id);
    if (!alert) continue;
    const reason = alert.kind === 'hard_limit' ? 'hard_limit_breached' : 'excursion';
    await exposeInTransit(c, alert, reason, `${alert.title}, running when the van was loaded`);
  }
}
