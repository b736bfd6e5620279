import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  confirmPickUpdate,
  deliveredUpdate,
  dispatchedUpdate,
  fulfilmentStatusQuery,
  packedUpdate,
  pickViewQuery,
  startPickingUpdate,
} from '../../workflows/fulfilment.contract';
import type { FulfilmentDetail, PickView } from '../../domain/orders';

/**
 * Confirm every lot of every open line as allocated (the picker found everything), through
 * the same validated update the picker API sends. The picker must hold the lines' zones
 * (startPicking gives all of them). Idempotent: a re-run confirms only what is left.
 */
export async function pickEverything(handle: WorkflowHandle, pickerId: string): Promise<PickView> {
  let view = await handle.query(pickViewQuery);
  for (const line of view.lines) {
    if (line.status === 'picked' || line.status === 'short') continue;
    for (const lot of line.lots) {
      if (lot.picked >= lot.qty) continue;
      const args = {
        pickerId,
        idempotencyKey: `sim:${line.lineId}:${lot.lotId}:${lot.picked}`,
        lineId: line.lineId,
        sku: line.sku,
        lotId: lot.lotId,
        qty: lot.qty - lot.picked,
      };
      view = (await handle.executeUpdate(confirmPickUpdate, { args: [args] })).task;
    }
  }
  return view;
}

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
  const pickerId = opts.pickerId ?? 'sim-picker';
  let detail = await h.executeUpdate(startPickingUpdate, { args: [{ pickerId }] });
  if (until === 'picking') return detail;
  await pickEverything(h, pickerId);
  detail = await h.executeUpdate(packedUpdate);
  if (until === 'packed') return detail;
  detail = await h.executeUpdate(dispatchedUpdate, { args: [{ courierId: opts.courierId ?? 'sim-courier' }] });
  if (until === 'dispatched') return detail;
  await h.executeUpdate(deliveredUpdate);
  return h.query(fulfilmentStatusQuery).catch(() => ({ ...detail, state: 'delivered' as const }));
}
