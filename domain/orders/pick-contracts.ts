// The picker's view of a fulfilment and the answers to a phone's actions: plain data shapes
// shared by the fulfilment workflow, the picker API and the open-task table (db/picking.ts).
// Every action carries an idempotency key: a phone that retries gets the first answer again
// and nothing is picked twice. No personal data in any of these shapes.
import type { OrderState } from './lifecycle';
import type { Slot, Zone } from './types';

/** Why a line could not be picked in full. */
export type ShortReason = 'not_found' | 'damaged' | 'expired' | 'quality';
/** What the customer wants when an item is missing: the picker's best match, one named item, or money back. */
export type SubstitutionPolicy = 'best_match' | 'specific' | 'refund';
/** Progress of one line on the pick path. */
export type PickLineStatus = 'pending' | 'in_progress' | 'picked' | 'short';
/** Where a line's missing quantity went. */
export type ShortResolution = 'reallocated' | 'substitution_pending' | 'substituted' | 'refunded';

/** One lot of a line: where to find it and how much was taken. */
export interface PickLot {
  lotId: string;
  bin: string | null;
  expiresOn: string;
  qty: number;
  picked: number;
}

/** A substitute the picker proposed for a line's missing quantity, and its fate. */
export interface SubstitutionView {
  sku: string;
  qty: number;
  policy: SubstitutionPolicy;
  status: 'pending' | 'accepted' | 'refused';
  decidedBy: 'policy' | 'customer' | 'timeout' | null;
  /** Epoch ms after which a pending best-match proposal stands (Instacart rule). */
  decideByMs: number | null;
  /** The new order line the accepted substitute is allocated as. */
  newLineId: string;
  creditCents: number;
}

/** What happened to a line's missing quantity. */
export interface PickShort {
  missing: number;
  reason: ShortReason;
  resolution: ShortResolution;
  /** The order line the missing quantity is re-allocated as (resolution 'reallocated'). */
  reallocatedAs: string | null;
  substitution: SubstitutionView | null;
  creditCents: number;
}

/** One line on the pick path. */
export interface PickLineView {
  lineId: string;
  sku: string;
  zone: Zone;
  toteLabel: string;
  qty: number;
  picked: number;
  status: PickLineStatus;
  /** Times the picker skipped it; skipped lines move to the end of their zone's path. */
  skips: number;
  lots: PickLot[];
  short: PickShort | null;
}

/** A temperature zone of a fulfilment: its tote and who picks it. */
export interface PickZoneView {
  zone: Zone;
  toteLabel: string;
  pickerId: string | null;
  waveId: string | null;
}

/** The fulfilment as a picker works it (the `pickView` query, and every action's answer). */
export interface PickView {
  fulfilmentId: string;
  orderId: string;
  nodeId: string;
  nodeKind: 'front' | 'store';
  state: OrderState;
  slot: Slot;
  pickDeadlineMs: number;
  allocatedAt: number;
  zones: PickZoneView[];
  /** In pick-path order: zone sequence, skipped lines last, then bin. */
  lines: PickLineView[];
  staging: { location: string; toteLabels: string[]; at: number } | null;
  courierId: string | null;
  /** Grows with every change; the open-task table keeps the highest. */
  version: number;
}

/** Names of picker actions, as recorded with their idempotency keys. */
export type PickActionName =
  'claim' | 'start' | 'confirm' | 'short' | 'skip' | 'substitute' | 'decide' | 'stage' | 'handOver';

/** Answer to a picker action; a replay (same key) answers the same, with `replayed` set. */
export interface PickActionResult {
  idempotencyKey: string;
  action: PickActionName;
  lineId: string | null;
  /** One sentence for the phone, e.g. "picked 2 of 2". */
  outcome: string;
  replayed: boolean;
  task: PickView;
}

/** Who acts and the key that makes a retried request a replay. */
export interface PickerActionBase {
  pickerId: string;
  idempotencyKey: string;
}

/** Arguments of each picker action (the updates in workflows/fulfilment.contract.ts carry them). */
export type ClaimPickArgs = PickerActionBase & { zones: Zone[]; waveId: string | null };
export type PickLineArgs = PickerActionBase & { lineId: string };
export type ConfirmPickArgs = PickerActionBase & { lineId: string; sku: string; lotId: string; qty: number };
export type ShortPickArgs = PickerActionBase & { lineId: string; reason: ShortReason };
export type ProposeSubstitutionArgs = PickerActionBase & {
  lineId: string;
  reason: ShortReason;
  sku: string;
  qty: number;
};
export type DecideSubstitutionArgs = { lineId: string; accept: boolean; decidedBy: string; idempotencyKey: string };
export type StageTotesArgs = PickerActionBase & { toteLabels: string[]; location: string };
export type HandOverArgs = PickerActionBase & { courierId: string };
