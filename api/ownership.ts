// Ownership, not only roles (docs/security.md). Ops see everything; an integrator reaches only
// the orders it placed, a courier only the fulfilments assigned to it. Anything else answers as
// if it did not exist (404, the same message as for an unknown id), never a 403 that would
// confirm it is there. The decisions are pure; the lookups they need are in db/orders.ts.
import type { Db } from '../db/pool';
import { fulfilmentAssignment, orderOwner } from '../db/orders';
import type { Principal } from './auth';
import { seesAll } from './auth';
import { ApiError, validationError } from './errors';

/** The 404 of an order that does not exist, or is not the caller's. */
export const orderNotFound = (orderId: string): ApiError => new ApiError('FC_NOT_FOUND', `order ${orderId} not found`);
/** The 404 of a fulfilment that does not exist, or is not the caller's. */
export const fulfilmentNotFound = (fulfilmentId: string): ApiError =>
  new ApiError('FC_NOT_FOUND', `fulfilment ${fulfilmentId} not found`);

/** May this caller reach an order placed by `placedBy` (null: recorded before owners were kept)? */
export function mayReachOrder(p: Principal, placedBy: string | null): boolean {
  return seesAll(p) || (placedBy !== null && placedBy === p.sub);
}

/** A courier event as the ownership check needs it. */
export type CourierAct = { type: 'dispatched'; courierId: string } | { type: 'delivered' | 'rejected' };

/**
 * May a courier act on a fulfilment of `orderId`? Its own (assigned to it at hand-over or by its
 * own dispatch), or, to take it from the staging shelf, one that is packed and nobody's yet.
 */
export function courierMayAct(
  courier: string,
  orderId: string,
  a: { orderId: string; state: string; courierId: string | null } | undefined,
  act: CourierAct,
): boolean {
  if (!a || a.orderId !== orderId) return false;
  if (a.courierId !== null) return a.courierId === courier;
  return act.type === 'dispatched' && a.state === 'packed';
}

/** 404 unless the caller may reach the order (ops: no check here; routes check existence as they need). */
export async function assertOrderReachable(db: Db, p: Principal, orderId: string): Promise<void> {
  if (seesAll(p)) return;
  const owner = await orderOwner(db, orderId);
  if (!owner || !mayReachOrder(p, owner.placedBy)) throw orderNotFound(orderId);
}

/**
 * For couriers: 400 when a courier dispatches under another courier's id, 404 unless the
 * fulfilment is its own (or packed and nobody's, for a dispatch). Ops pass unchecked.
 */
export async function assertCourierMayAct(
  db: Db,
  p: Principal,
  orderId: string,
  fulfilmentId: string,
  act: CourierAct,
): Promise<void> {
  if (p.role !== 'courier') return;
  if (act.type === 'dispatched' && act.courierId !== p.sub) {
    throw validationError([
      { path: 'courierId', message: "a courier dispatches as itself: must be this token's subject" },
    ]);
  }
  if (!courierMayAct(p.sub, orderId, await fulfilmentAssignment(db, fulfilmentId), act))
    throw fulfilmentNotFound(fulfilmentId);
}
