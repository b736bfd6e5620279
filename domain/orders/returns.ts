// What happens to a line that comes back (door rejection, cancel after picking, return).
// Cold chain rule: a perishable that left the node is never restocked, whatever it looks
// like; it is written off as shrink. Ambient goods go back on the shelf only if sellable.
import type { Sku } from './types';

/** Condition of returned goods as checked by the courier or the node. */
export type ItemCondition = 'sellable' | 'damaged' | 'unknown';

/** What the customer asked for instead of the goods. */
export type CustomerChoice = 'refund' | 'replacement';

/** One returned line. */
export interface ReturnLineInput {
  readonly sku: Pick<Sku, 'perishable' | 'unitPriceCents'>;
  readonly qty: number;
  readonly condition: ItemCondition;
  readonly customerChoice: CustomerChoice;
}

/** Money and stock consequences of one returned line. */
export interface ReturnLineOutcome {
  /** Credited to the customer now; 0 when a replacement is sent instead. */
  readonly creditCents: number;
  readonly restock: boolean;
  readonly writeOff: boolean;
  /** A replacement is to be sent (if it cannot be, refund automatically: Instacart rule). */
  readonly replacement: boolean;
}

/** Decide credit, restock, write-off and replacement for one returned line. */
export function resolveReturnLine(input: ReturnLineInput): ReturnLineOutcome {
  if (!Number.isInteger(input.qty) || input.qty <= 0) throw new RangeError(`return quantity ${input.qty}`);
  // 'unknown' condition is not restocked: unchecked goods do not go back on a shelf.
  const restock = !input.sku.perishable && input.condition === 'sellable';
  const replacement = input.customerChoice === 'replacement';
  return {
    creditCents: replacement ? 0 : input.qty * input.sku.unitPriceCents,
    restock,
    writeOff: !restock,
    replacement,
  };
}
