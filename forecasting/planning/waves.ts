// Expected orders per delivery slot, for sizing picking waves, from per-SKU forecasts.

export interface SlotForecast {
  readonly ts: number;
  readonly mean: number;
  readonly p90: number;
}

export interface SlotOrders {
  readonly ts: number;
  readonly expectedOrders: number;
  /** Orders at the p90 of total units (spreads combined as independent SKUs). */
  readonly p90Orders: number;
}

/**
 * Sum SKU forecasts per slot and convert units to orders with the average units per order.
 * All SKU forecasts must cover the same slots in the same order.
 */
export function expectedOrdersPerSlot(
  skuForecasts: readonly (readonly SlotForecast[])[],
  unitsPerOrder: number,
): SlotOrders[] {
  if (!(unitsPerOrder > 0)) throw new Error('unitsPerOrder must be positive');
  const first = skuForecasts[0];
  if (!first) return [];
  return first.map((slot, k) => {
    let units = 0;
    let spread = 0;
    for (const sku of skuForecasts) {
      const f = sku[k];
      if (!f || f.ts !== slot.ts) throw new Error(`SKU forecasts are not aligned at slot ${k}`);
      units += f.mean;
      spread += Math.max(0, f.p90 - f.mean) ** 2;
    }
    return {
      ts: slot.ts,
      expectedOrders: units / unitsPerOrder,
      p90Orders: (units + Math.sqrt(spread)) / unitsPerOrder,
    };
  });
}
