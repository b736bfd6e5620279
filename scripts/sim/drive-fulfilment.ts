import type { Client } from '@temporalio/client';
import { deliveredUpdate, dispatchedUpdate, fulfilmentStatusQuery, packedUpdate, startPickingUpdate } from '../../workflows/messages';
import type { FulfilmentDetail } from '../../workflows/messages';

/**
 * A simulated picker and courier for one fulfilment, through the same Temporal updates the
 * API sends: pick everything as allocated, pack, dispatch, deliver. Used by the demo and the
 * order benchmark; `until` stops early (e.g. at 'packed').
 */
export async function driveFulfilment(
  client: Client,
  fulfilmentId: string,
  opts: { pickerId?: string; courierId?: string; until?: 'picking' | 'packed' | 'dispatched' | 'delivered' } = {},
): Promise<FulfilmentDetail> {
  const h = client.workflow.getHandle(fulfilmentId);
  const until = opts.until ?? 'delivered';
  let detail = await h.executeUpdate(startPickingUpdate, { args: [{ pickerId: opts.pickerId ?? 'sim-picker' }] });
  if (until === 'picking') return detail;
  detail = await h.executeUpdate(packedUpdate);
  if (until === 'packed') return detail;
  detail = await h.executeUpdate(dispatchedUpdate, { args: [{ courierId: opts.courierId ?? 'sim-courier' }] });
  if (until === 'dispatched') return detail;
  await h.executeUpdate(deliveredUpdate);
  return h.query(fulfilmentStatusQuery).catch(() => ({ ...detail, state: 'delivered' as const }));
}
