// What pickers, couriers, the stock API and the parent order may send to or ask of a
// FulfilmentWorkflow. Callers import this file, never workflows/fulfilment.ts.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ClaimPickArgs,
  ColdChainQuarantine,
  ConfirmPickArgs,
  DecideSubstitutionArgs,
  DoorRejectionLine,
  FulfilmentDetail,
  HandOverArgs,
  PickActionResult,
  PickLineArgs,
  PickView,
  ProposeSubstitutionArgs,
  ShortPickArgs,
  StageTotesArgs,
  StockShortfall,
} from '../domain/orders';

/** Current view of a fulfilment. */
export const fulfilmentStatusQuery = defineQuery<FulfilmentDetail>('fulfilmentStatus');
/** Current picking view of a fulfilment. */
export const pickViewQuery = defineQuery<PickView>('pickView');

/** A picker starts picking this fulfilment. */
export const startPickingUpdate = defineUpdate<FulfilmentDetail, [{ pickerId: string }]>('startPicking');
/** All totes packed and checked. */
export const packedUpdate = defineUpdate<FulfilmentDetail, []>('packed');
/** Handed over to a courier: stock leaves the node. */
export const dispatchedUpdate = defineUpdate<FulfilmentDetail, [{ courierId: string }]>('dispatched');
/** Delivered at the door. */
export const deliveredUpdate = defineUpdate<FulfilmentDetail, []>('delivered');
/** The customer refuses all or some lines at the door. */
export const rejectedAtDoorUpdate = defineUpdate<FulfilmentDetail, [{ lines: DoorRejectionLine[] }]>('rejectedAtDoor');

/** Parent → child: stop this fulfilment (cancel before picking, return after). */
export const cancelFulfilmentSignal = defineSignal<[{ reason: string }]>('cancelFulfilment');
/** Parent → child: these lots were quarantined. */
export const quarantineLotsSignal = defineSignal<[ColdChainQuarantine]>('quarantineLots');
/** Stock API → fulfilment: re-allocate units a count or POS sale took from its holds. */
export const stockShortfallSignal = defineSignal<[StockShortfall]>('stockShortfall');

/** Claim zones of a fulfilment (a wave is one zone across orders); the first claim starts picking. */
export const claimPickUpdate = defineUpdate<PickActionResult, [ClaimPickArgs]>('claimPick');
/** The picker is at the bin of this line. */
export const pickLineStartUpdate = defineUpdate<PickActionResult, [PickLineArgs]>('pickLineStart');
/** Scanned SKU and lot, and the quantity taken from that lot. */
export const confirmPickUpdate = defineUpdate<PickActionResult, [ConfirmPickArgs]>('confirmPick');
/** Less than asked is there: what was confirmed stays, the rest is re-allocated. */
export const shortPickUpdate = defineUpdate<PickActionResult, [ShortPickArgs]>('shortPick');
/** Come back to this line later (it moves to the end of its zone's path). */
export const skipLineUpdate = defineUpdate<PickActionResult, [PickLineArgs]>('skipLine');
/** Short the line and propose a substitute for the missing quantity; the customer's policy decides. */
export const proposeSubstitutionUpdate = defineUpdate<PickActionResult, [ProposeSubstitutionArgs]>(
  'proposeSubstitution',
);
/** The customer accepts or refuses a pending substitute (accepted: allocated as a new line; refused: refunded). */
export const decideSubstitutionUpdate = defineUpdate<PickActionResult, [DecideSubstitutionArgs]>('decideSubstitution');
/** Every tote scanned into a staging location: the fulfilment is packed. */
export const stageTotesUpdate = defineUpdate<PickActionResult, [StageTotesArgs]>('stageTotes');
/** Staged totes handed to a courier: stock leaves the node. */
export const handOverUpdate = defineUpdate<PickActionResult, [HandOverArgs]>('handOver');
