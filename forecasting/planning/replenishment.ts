// Order-up-to replenishment from forecast quantiles, capped so that nothing is ordered that
// the forecast says cannot sell before it expires.
import { quantileLevel, totalQuantile, type QuantilePoint } from './quantiles';

export interface ReplenishmentInput {
  /** Forecast per period (e.g. day), period 0 = now. Should cover lead time + max(review, shelf life). */
  readonly forecast: readonly QuantilePoint[];
  /** Periods until an order placed now is on the shelf. */
  readonly leadTimePeriods: number;
  /** Periods until the next chance to order. */
  readonly reviewPeriods: number;
  readonly onHand: number;
  /** Already ordered, arriving by the lead time. */
  readonly onOrder: number;
  /** Periods a delivered unit stays sellable. */
  readonly shelfLifePeriods: number;
  /** Service level of the order-up-to level; default p90. */
  readonly serviceQuantile?: 'p50' | 'p90' | number;
  /** Order in multiples of this (default 1). */
  readonly packSize?: number;
  /** Smallest order the supplier accepts (default 0). */
  readonly minOrder?: number;
}

export interface ReplenishmentSuggestion {
  readonly orderQuantity: number;
  /** Demand quantile over lead time + review period. */
  readonly orderUpTo: number;
  readonly inventoryPosition: number;
  /** Most that can sell before expiry: p50 demand during the shelf life after arrival, minus older stock still left. */
  readonly expiryCap: number;
  readonly limitedByExpiry: boolean;
  /** Periods of forecast the expiry cap could use (fewer than the shelf life = conservative cap). */
  readonly capPeriodsCovered: number;
}

/** Suggest an order quantity (pure; units as in the forecast). */
export function replenishmentSuggestion(input: ReplenishmentInput): ReplenishmentSuggestion {
  const { forecast, leadTimePeriods: lead, reviewPeriods: review, shelfLifePeriods: shelf } = input;
  for (const [name, v] of Object.entries({ lead, review, shelf, onHand: input.onHand, onOrder: input.onOrder })) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`${name} must be a non-negative number`);
  }
  if (forecast.length < lead + review)
    throw new Error(`forecast covers ${forecast.length} periods, need lead + review = ${lead + review}`);
  const pack = input.packSize ?? 1;
  if (!(pack > 0)) throw new Error('packSize must be positive');
  const q = quantileLevel(input.serviceQuantile ?? 'p90');
  const orderUpTo = totalQuantile(forecast, 0, lead + review, q);
  const position = input.onHand + input.onOrder;
  const raw = Math.max(0, orderUpTo - position);
  // Older stock sells first (FIFO); what is left of it on arrival competes with the new units.
  const leftAtArrival = Math.max(0, position - totalQuantile(forecast, 0, lead, 0.5));
  const capEnd = Math.min(forecast.length, lead + shelf);
  const expiryCap = Math.max(0, totalQuantile(forecast, lead, capEnd, 0.5) - leftAtArrival);
  let order = Math.min(raw, expiryCap);
  // Whole packs: round up for service, but never past the expiry cap.
  const up = Math.ceil(order / pack - 1e-9) * pack;
  order = up <= expiryCap + 1e-9 ? up : Math.floor(expiryCap / pack + 1e-9) * pack;
  const minOrder = input.minOrder ?? 0;
  if (order > 0 && order < minOrder) order = minOrder <= expiryCap ? Math.ceil(minOrder / pack - 1e-9) * pack : 0;
  if (order > expiryCap + 1e-9) order = 0;
  return {
    orderQuantity: order,
    orderUpTo,
    inventoryPosition: position,
    expiryCap,
    limitedByExpiry: expiryCap < raw,
    capPeriodsCovered: Math.max(0, capEnd - lead),
  };
}
