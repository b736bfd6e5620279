// Which unservable lines of a re-allocation the customer's policy substitutes without asking:
// only a 'specific' policy names the item; a best match needs a picker's choice and 'refund' is
// a refund. Pure: the order workflow calls it between its activities.
import type { OrderLine, UnfulfilledLine } from './types';
import type { SubstitutionPolicy } from './pick-contracts';

/** A line's policy as the customer set it (`sku` only for 'specific'). */
export interface LinePolicy {
  policy: SubstitutionPolicy;
  sku: string | null;
}

/** An unservable line and the new line its policy puts in its place. */
export interface PolicySubstitute {
  line: UnfulfilledLine;
  substitute: OrderLine;
}

/**
 * The order line a re-allocated line came from. Cuts, short picks and substitutes derive their
 * ids as `<lineId>-<suffix>` (repeatedly), so the longest order line id followed by '-' wins;
 * an id of no known origin stands for itself (the order's default policy applies).
 */
export function sourceLineId(lineId: string, orderLineIds: readonly string[]): string {
  let best: string | undefined;
  for (const id of orderLineIds) {
    const matches = lineId === id || lineId.startsWith(`${id}-`);
    if (matches && (best === undefined || id.length > best.length)) best = id;
  }
  return best ?? lineId;
}

/**
 * The substitutes the policies name, one per line (`policies[i]` is `lines[i]`'s). A 'specific'
 * policy for the very SKU that failed (the substitute itself re-allocated) names nothing new.
 * New line ids carry the allocation's sequence, so a later re-allocation never reuses one.
 */
export function policySubstitutes(
  lines: readonly UnfulfilledLine[],
  policies: readonly LinePolicy[],
  seq: number,
): PolicySubstitute[] {
  return lines.flatMap((line, i) => {
    const p = policies[i];
    if (!p || p.policy !== 'specific' || !p.sku || p.sku === line.sku || line.qty <= 0) return [];
    return [{ line, substitute: { lineId: `${line.lineId}-p${seq}`, sku: p.sku, qty: line.qty } }];
  });
}
