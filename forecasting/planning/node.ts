// Planning of a forecast run, node by node (pure): markdowns, replenishment orders and expected
// orders per slot from a run's stored forecasts and what the network holds. The activity
// (activities/forecasting.ts) loads the inputs and saves the result; nothing here does I/O.
import type {
  MarkdownRow,
  PlanningContext,
  ReplenishmentRow,
  SlotCapacityRow,
  StoredForecast,
} from '../../db/forecasts';
import type { ForecastRunParams } from '../../domain/forecasting/run-params';
import { markdownSuggestion } from './markdown';
import type { QuantilePoint } from './quantiles';
import { replenishmentSuggestion } from './replenishment';
import { expectedOrdersPerSlot } from './waves';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

type PlanParams = Pick<ForecastRunParams, 'leadTimeHours' | 'reviewHours' | 'serviceQuantile' | 'utcOffsetMinutes'>;
type ForecastPoint = QuantilePoint & { mean: number };

/** Rows planning writes for some nodes of a run. */
export interface NodePlan {
  replenishment: ReplenishmentRow[];
  markdowns: MarkdownRow[];
  slots: SlotCapacityRow[];
}

/** A run's stored forecasts do not cover its horizon: planning on them would be wrong, not late. */
export class IncompleteForecastError extends Error {
  override readonly name = 'IncompleteForecastError';
}

/**
 * When a lot can no longer be allocated: the local midnight that starts the day on which fewer
 * than `minShelfLifeDays` would remain (the allocator needs expiry ≥ delivery day + min days).
 */
export function sellByMs(expiresOn: string, minShelfLifeDays: number, utcOffsetMinutes: number): number {
  const expiryDay = Date.parse(`${expiresOn}T00:00:00Z`) / DAY_MS;
  return (expiryDay - minShelfLifeDays + 1) * DAY_MS - utcOffsetMinutes * MINUTE_MS;
}

/** One series' forecast (hourly points from the origin) plus what planning knows of its SKU and lots. */
export interface SeriesPlanInput {
  sku: string;
  points: readonly ForecastPoint[];
  /**
   * Sellable hours of a freshly delivered unit (shelf life at reference − min shelf life at
   * delivery; at least the horizon for non-perishables).
   */
  shelfLifeHours: number;
  minShelfLifeDays: number;
  lots: readonly { lotId: string; expiresOn: string; available: number }[];
}

interface NodeInput {
  nodeId: string;
  kind: 'front' | 'store';
  origin: number;
  params: PlanParams;
  series: readonly SeriesPlanInput[];
  /** Units of these SKUs per distinct order at the node over the history; undefined = no orders. */
  unitsPerOrder?: number;
}

type DatedLot = SeriesPlanInput['lots'][number] & { sellBy: number; expiresInPeriods: number };

function datedLots(a: NodeInput, s: SeriesPlanInput): DatedLot[] {
  return s.lots.map((l) => {
    const sellBy = sellByMs(l.expiresOn, s.minShelfLifeDays, a.params.utcOffsetMinutes);
    return { ...l, sellBy, expiresInPeriods: Math.max(0, Math.floor((sellBy - a.origin) / HOUR_MS)) };
  });
}

function markdownsOf(a: NodeInput, s: SeriesPlanInput, lots: readonly DatedLot[]) {
  // Lots sellable beyond the horizon cannot be judged (no forecast there) and, sold after
  // the nearer ones, do not change what those sell.
  const near = lots.filter((l) => l.expiresInPeriods <= s.points.length);
  const atRisk = markdownSuggestion({
    lots: near.map((l) => ({ id: l.lotId, quantity: l.available, expiresInPeriods: l.expiresInPeriods })),
    demand: s.points.map((p) => p.p50),
  });
  const byId = new Map(near.map((l) => [l.lotId, l]));
  const rows: MarkdownRow[] = [];
  for (const m of atRisk) {
    const lot = byId.get(m.lotId);
    if (!lot) continue;
    rows.push({
      nodeId: a.nodeId,
      sku: s.sku,
      lotId: m.lotId,
      quantity: m.quantity,
      expiresOn: lot.expiresOn,
      sellBy: new Date(lot.sellBy),
      expectedSold: m.expectedSold,
      atRisk: m.atRisk,
      atRiskShare: m.atRiskShare,
      suggestedDiscount: m.suggestedDiscount,
    });
  }
  // Units of lots still sellable now that the forecast says will expire unsold.
  const expiring = atRisk
    .filter((m) => (byId.get(m.lotId)?.expiresInPeriods ?? 0) > 0)
    .reduce((sum, m) => sum + m.atRisk, 0);
  return { rows, expiring };
}

function replenishmentOf(
  a: NodeInput,
  s: SeriesPlanInput,
  lots: readonly DatedLot[],
  expiring: number,
): ReplenishmentRow {
  const onHand = lots.filter((l) => l.expiresInPeriods > 0).reduce((sum, l) => sum + l.available, 0);
  const r = replenishmentSuggestion({
    forecast: s.points,
    leadTimePeriods: a.params.leadTimeHours,
    reviewPeriods: a.params.reviewHours,
    onHand: Math.max(0, onHand - expiring),
    onOrder: 0,
    shelfLifePeriods: s.shelfLifeHours,
    serviceQuantile: a.params.serviceQuantile,
  });
  return {
    nodeId: a.nodeId,
    sku: s.sku,
    orderQuantity: Math.round(r.orderQuantity),
    orderUpTo: r.orderUpTo,
    inventoryPosition: r.inventoryPosition,
    onHand,
    expiryCap: r.expiryCap,
    limitedByExpiry: r.limitedByExpiry,
    leadTimeH: a.params.leadTimeHours,
    reviewH: a.params.reviewHours,
    shelfLifeH: s.shelfLifeHours,
    capHoursCovered: r.capPeriodsCovered,
  };
}

function slotsOf(a: NodeInput): SlotCapacityRow[] {
  if (a.unitsPerOrder === undefined || !(a.unitsPerOrder > 0) || a.series.length === 0) return [];
  const unitsPerOrder = a.unitsPerOrder;
  const perSku = a.series.map((s) =>
    s.points.map((p, k) => ({ ts: a.origin + k * HOUR_MS, mean: p.mean, p90: p.p90 })),
  );
  return expectedOrdersPerSlot(perSku, unitsPerOrder).map((o) => ({
    nodeId: a.nodeId,
    slotStart: new Date(o.ts),
    expectedOrders: o.expectedOrders,
    p90Orders: o.p90Orders,
    unitsPerOrder,
  }));
}

/**
 * Planning for one node: markdowns for lots whose sell-by falls inside the horizon and whose
 * forecast p50 demand (consumed first-expiring-first) leaves stock over; for front warehouses
 * an order suggestion per SKU whose inventory position excludes the stock expected to expire
 * unsold; and expected orders per slot from the SKU forecasts and units per order.
 */
export function planNode(a: NodeInput): NodePlan {
  const plan: NodePlan = { replenishment: [], markdowns: [], slots: slotsOf(a) };
  for (const s of a.series) {
    const lots = datedLots(a, s);
    const { rows, expiring } = markdownsOf(a, s, lots);
    plan.markdowns.push(...rows);
    if (a.kind === 'front') plan.replenishment.push(replenishmentOf(a, s, lots, expiring));
  }
  return plan;
}

/** node → sku → hourly points from the origin; a gap in a series' slots is an error. */
function pointsByNode(
  runId: string,
  origin: number,
  forecasts: readonly StoredForecast[],
): Map<string, Map<string, ForecastPoint[]>> {
  const byNode = new Map<string, Map<string, ForecastPoint[]>>();
  for (const f of forecasts) {
    const skus = byNode.get(f.nodeId) ?? new Map<string, ForecastPoint[]>();
    byNode.set(f.nodeId, skus);
    const points = skus.get(f.sku) ?? [];
    skus.set(f.sku, points);
    const step = Math.round((f.slotStart.getTime() - origin) / HOUR_MS);
    if (step !== points.length)
      throw new IncompleteForecastError(
        `forecasts of ${f.nodeId}/${f.sku} in run ${runId} have a gap at step ${points.length}`,
      );
    points.push({ mean: f.mean, p10: f.p10, p50: f.p50, p90: f.p90 });
  }
  return byNode;
}

function lotsByNodeSku(ctx: PlanningContext): Map<string, { lotId: string; expiresOn: string; available: number }[]> {
  const lotsOf = new Map<string, { lotId: string; expiresOn: string; available: number }[]>();
  for (const l of ctx.lots) {
    const key = `${l.nodeId}|${l.sku}`;
    const list = lotsOf.get(key) ?? [];
    lotsOf.set(key, list);
    list.push({ lotId: l.lotId, expiresOn: l.expiresOn, available: l.available });
  }
  return lotsOf;
}

/** A run's stored forecasts and the planning context it was loaded with. */
export interface RunPlanningInput {
  runId: string;
  origin: number;
  /** Hourly slots every series must cover. */
  horizon: number;
  params: PlanParams;
  forecasts: readonly StoredForecast[];
  ctx: PlanningContext;
}

/** Plan every node of the context from the run's forecasts (throws IncompleteForecastError on gaps). */
export function planNodes(a: RunPlanningInput): NodePlan {
  const byNode = pointsByNode(a.runId, a.origin, a.forecasts);
  const lotsOf = lotsByNodeSku(a.ctx);
  const skuInfo = new Map(a.ctx.skus.map((s) => [s.sku, s]));
  const all: NodePlan = { replenishment: [], markdowns: [], slots: [] };
  for (const node of a.ctx.nodes) {
    const series: SeriesPlanInput[] = [];
    for (const [sku, points] of byNode.get(node.id) ?? []) {
      if (points.length !== a.horizon) {
        throw new IncompleteForecastError(
          `forecasts of ${node.id}/${sku} in run ${a.runId} cover ${points.length} of ${a.horizon} slots`,
        );
      }
      const info = skuInfo.get(sku);
      const minShelfLifeDays = info?.minShelfLifeDays ?? 0;
      // A delivered unit sells until min shelf life days are left. Non-perishables are not
      // held to the (cold-chain reference) figure within the horizon.
      const sellable = Math.max(0, Math.round(((info?.shelfLifeDaysAtRef ?? 0) - minShelfLifeDays) * 24));
      const shelfLifeHours = info?.perishable === false ? Math.max(sellable, a.horizon) : sellable;
      series.push({ sku, points, shelfLifeHours, minShelfLifeDays, lots: lotsOf.get(`${node.id}|${sku}`) ?? [] });
    }
    const stats = a.ctx.orderStats.find((s) => s.nodeId === node.id);
    const unitsPerOrder = stats && stats.orders > 0 && stats.units > 0 ? stats.units / stats.orders : undefined;
    const plan = planNode({
      nodeId: node.id,
      kind: node.kind,
      origin: a.origin,
      params: a.params,
      series,
      ...(unitsPerOrder !== undefined ? { unitsPerOrder } : {}),
    });
    all.replenishment.push(...plan.replenishment);
    all.markdowns.push(...plan.markdowns);
    all.slots.push(...plan.slots);
  }
  return all;
}
