// What the transfer routes may send to or ask of a transferWorkflow (issue 14): one update per
// step, the status query, and the failure type of a step whose input the database refused.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { TransferStatus } from '../domain/transfers/status';

/** The workflow type as the worker registers it. */
export const TRANSFER_WORKFLOW_TYPE = 'transferWorkflow';
export interface TransferInput {
  transferId: string;
}
/** The signature of transferWorkflow, for typed `start` calls by its type name. */
export type TransferWorkflow = (input: TransferInput) => Promise<TransferStatus>;

export const transferWorkflowId = (transferId: string) => `transfer-${transferId}`;

type Picks = { lotId: string; qty: number }[];
export const pickedAtSourceUpdate = defineUpdate<TransferStatus, [{ picks: Picks; actor: string }]>('pickedAtSource');
export const shippedUpdate = defineUpdate<TransferStatus, [{ vanAssetId: string; actor: string }]>('shipped');
export const receivedUpdate = defineUpdate<TransferStatus, [{ receivedAt: string; actor: string }]>('received');
export const cancelTransferUpdate = defineUpdate<TransferStatus, [{ reason: string | null; actor: string }]>('cancel');
export const transferStatusQuery = defineQuery<TransferStatus>('transferStatus');

/** The failure type of a step whose input the database refused; details are the problems naming fields. */
export const TRANSFER_REFUSED = 'TransferRefused';
