// Order lifecycle: a transition table, the cancellation rule and door rejection.
// Happy path: received → allocated → picking → packed → dispatched → delivered.
// Side exits: cancelled (nothing picked yet), rejected (we cannot serve it, or the customer
// refuses the whole delivery at the door), returned (goods came back after picking began).
import { resolveReturnLine, type ReturnLineInput, type ReturnLineOutcome } from './returns';

/** Returns and SLA live in their own files; re-exported so lifecycle is the one entry point. */
export {
  resolveReturnLine,
  type ReturnLineInput,
  type ReturnLineOutcome,
  type ItemCondition,
  type CustomerChoice,
} from './returns';
/** SLA checkpoints (see sla.ts). */
export {
  MAX_SEARCH_ATTRIBUTE_MS,
  searchAttributeInstant,
  slaCheckpoints,
  slaStatus,
  type SlaCheckpoints,
  type SlaStatus,
} from './sla';

/** Every state an order can be in. */
export type OrderState =
  'received' | 'allocated' | 'picking' | 'packed' | 'dispatched' | 'delivered' | 'cancelled' | 'rejected' | 'returned';

/** Allowed next states. A cancel after picking started is a return, never 'cancelled'. */
export const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  received: ['allocated', 'cancelled', 'rejected'],
  allocated: ['picking', 'cancelled'],
  picking: ['packed', 'returned'],
  packed: ['dispatched', 'returned'],
  dispatched: ['delivered', 'rejected', 'returned'],
  delivered: ['returned'],
  cancelled: [],
  rejected: [],
  returned: [],
};

/** Whether `from → to` is in the transition table. */
export function canTransition(from: OrderState, to: OrderState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** `to` if allowed, otherwise a RangeError naming the illegal move. */
export function transition(from: OrderState, to: OrderState): OrderState {
  if (!canTransition(from, to)) throw new RangeError(`illegal order transition ${from} → ${to}`);
  return to;
}

/** States with no way out. */
export function isTerminal(state: OrderState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** What a cancel request means in a given state. */
export type CancellationOutcome =
  | { readonly kind: 'cancel'; readonly to: 'cancelled'; readonly releaseReservation: boolean }
  | { readonly kind: 'return'; readonly to: 'returned' }
  | { readonly kind: 'noop'; readonly state: OrderState }
  | { readonly kind: 'not_allowed'; readonly reason: string };

/**
 * Cancel is allowed until picking starts (and frees any reservation). From then on goods are
 * in totes, so a cancel becomes a return and each line goes through `resolveReturnLine`.
 * Repeated cancels (callbacks arrive more than once) are a no-op, not an error.
 */
export function cancellationOutcome(state: OrderState): CancellationOutcome {
  switch (state) {
    case 'received':
      return { kind: 'cancel', to: 'cancelled', releaseReservation: false };
    case 'allocated':
      return { kind: 'cancel', to: 'cancelled', releaseReservation: true };
    case 'picking':
    case 'packed':
    case 'dispatched':
      return { kind: 'return', to: 'returned' };
    case 'cancelled':
    case 'returned':
      return { kind: 'noop', state };
    case 'delivered':
      return {
        kind: 'not_allowed',
        reason: 'already delivered: return it instead (POST /v1/orders/{orderId}/returns)',
      };
    case 'rejected':
      return { kind: 'not_allowed', reason: 'order was rejected: nothing to cancel' };
  }
}

/** A delivered line as the door-rejection rules need it. */
export interface DoorLine {
  readonly lineId: string;
  readonly qty: number;
  readonly sku: ReturnLineInput['sku'];
}

/** The customer refuses `qty` of a line at the door. */
export interface LineRejection {
  readonly lineId: string;
  readonly qty: number;
  readonly condition: ReturnLineInput['condition'];
  readonly customerChoice: ReturnLineInput['customerChoice'];
}

/** Outcome of a door hand-over with some or all lines refused. */
export interface DoorRejectionOutcome {
  /** 'rejected' when every unit was refused, else 'delivered' (partial rejection). */
  readonly nextState: 'delivered' | 'rejected';
  readonly full: boolean;
  readonly lines: readonly (ReturnLineOutcome & { readonly lineId: string; readonly qty: number })[];
  readonly totalCreditCents: number;
}

/** Resolve a full or per-line door rejection; throws on unknown lines or over-rejection. */
export function resolveDoorRejection(
  delivered: readonly DoorLine[],
  rejections: readonly LineRejection[],
): DoorRejectionOutcome {
  const byId = new Map(delivered.map((l) => [l.lineId, l]));
  const seen = new Set<string>();
  const lines = rejections.map((r) => {
    const line = byId.get(r.lineId);
    if (!line) throw new RangeError(`rejection for unknown line ${r.lineId}`);
    if (seen.has(r.lineId)) throw new RangeError(`line ${r.lineId} rejected twice`);
    if (!Number.isInteger(r.qty) || r.qty <= 0 || r.qty > line.qty)
      throw new RangeError(`line ${r.lineId}: cannot reject ${r.qty} of ${line.qty}`);
    seen.add(r.lineId);
    return {
      lineId: r.lineId,
      qty: r.qty,
      ...resolveReturnLine({ sku: line.sku, qty: r.qty, condition: r.condition, customerChoice: r.customerChoice }),
    };
  });
  const full =
    delivered.length > 0 && delivered.every((l) => lines.some((x) => x.lineId === l.lineId && x.qty === l.qty));
  return {
    nextState: full ? 'rejected' : 'delivered',
    full,
    lines,
    totalCreditCents: lines.reduce((sum, l) => sum + l.creditCents, 0),
  };
}
