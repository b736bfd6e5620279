// Transfers (issue 14), ops only: POST /v1/transfers plans one (explicit lines or a
// replenishment suggestion; idempotent by transfer id for life: the same body 200, a different
// one 409 naming the fields) and starts transferWorkflow; POST /v1/transfers/{id}/picked,
// shipped, received and cancel drive it through updates; GET /v1/transfers/{id} reads the
// transfer with its picks and events.
import type { Client } from '@temporalio/client';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import type { Config } from '../../config';
import type { Db } from '../../db/pool';
import { createTransfer, readTransfer } from '../../db/transfers';
import { masterId } from '../../domain/masterdata/schemas';
import type { FieldProblem, TransferAction } from '../../domain/transfers/transfer';
import {
  cancelBody,
  pickedBody,
  receivedBody,
  shippedBody,
  transferBody,
  transition,
} from '../../domain/transfers/transfer';
import {
  cancelTransferUpdate,
  pickedAtSourceUpdate,
  receivedUpdate,
  shippedUpdate,
  TRANSFER_REFUSED,
  TRANSFER_WORKFLOW_TYPE,
  transferWorkflowId,
} from '../../workflows/transfer.contract';
import type { TransferWorkflow } from '../../workflows/transfer.contract';
import { requireRole } from '../auth';
import { ApiError } from '../errors';
import type { ApiOperation } from '../operation';
import { fromTemporal } from '../temporal-errors';

export const transferParams = z.object({ id: masterId }).strict();

/** A step the workflow refused: problems naming fields are a 422, a step the status does not allow a 409. */
function stepError(err: unknown, transferId: string): never {
  if (
    err instanceof WorkflowUpdateFailedError &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === TRANSFER_REFUSED
  ) {
    const problems = (err.cause.details ?? []) as FieldProblem[];
    throw new ApiError('FC_TRANSFER_REFUSED', err.cause.message, problems);
  }
  return fromTemporal(err, `transfer ${transferId}`);
}

/** Routes under /v1 for transfers. */
export function transfersRouter(deps: { config: Config; db: Db; temporal: Client }): Router {
  const r = Router();
  const actor = (req: Request) => req.principal!.sub;
  type TransferHandle = ReturnType<Client['workflow']['getHandle']>;

  r.post('/transfers', requireRole('ops'), async (req, res) => {
    const body = transferBody.parse(req.body);
    const result = await deps.db.transaction((c) => createTransfer(c, body, actor(req)));
    if (result.outcome === 'conflict') {
      throw new ApiError(
        'FC_TRANSFER_CONFLICT',
        `transfer ${body.transferId} was planned with a different ${result.fields.join(', ')}`,
        result.fields.map((path) => ({ path, message: 'differs from the stored transfer' })),
      );
    }
    if (result.outcome === 'refused')
      throw new ApiError(
        'FC_TRANSFER_REFUSED',
        result.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        result.problems,
      );
    // Started on a repeat too (the first call may have stopped between the row and the start);
    // the id is never reused, so a finished transfer is not run again.
    await deps.temporal.workflow
      .start<TransferWorkflow>(TRANSFER_WORKFLOW_TYPE, {
        workflowId: transferWorkflowId(body.transferId),
        taskQueue: deps.config.temporal.taskQueues.orders,
        args: [{ transferId: body.transferId }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        staticSummary: `Transfer ${body.transferId}: ${result.transfer.fromNodeId} → ${result.transfer.toNodeId}`,
      })
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      });
    res.status(result.outcome === 'created' ? 201 : 200).json(result.transfer);
  });

  r.get('/transfers/:id', requireRole('ops'), async (req, res) => {
    const { id } = transferParams.parse(req.params);
    const t = await readTransfer(deps.db, id);
    if (!t) throw new ApiError('FC_NOT_FOUND', `transfer ${id} not found`);
    res.json(t);
  });

  /**
   * A step route: its body is validated first (a 400 naming the field, whatever the transfer),
   * then the step is checked against the stored status, then the workflow's update runs.
   */
  type StepRun<S extends z.ZodType> = (h: TransferHandle, b: z.output<S>, by: string) => Promise<unknown>;
  const drive = <S extends z.ZodType>(path: string, action: TransferAction, body: S, run: StepRun<S>) =>
    r.post(`/transfers/:id/${path}`, requireRole('ops'), async (req, res) => {
      const { id } = transferParams.parse(req.params);
      const parsed = body.parse(req.body ?? {});
      const stored = await readTransfer(deps.db, id);
      if (!stored) throw new ApiError('FC_NOT_FOUND', `transfer ${id} not found`);
      // A finished workflow takes no updates: a step its status does not allow is answered here.
      const allowed = transition(stored.status, action);
      if (!allowed.ok) throw new ApiError('FC_INVALID_TRANSITION', allowed.why);
      await run(deps.temporal.workflow.getHandle(transferWorkflowId(id)), parsed, actor(req)).catch((err: unknown) =>
        stepError(err, id),
      );
      res.json(await readTransfer(deps.db, id));
    });
  drive('picked', 'picked', pickedBody, (h, b, by) =>
    h.executeUpdate(pickedAtSourceUpdate, { args: [{ picks: b.picks, actor: by }] }),
  );
  drive('shipped', 'shipped', shippedBody, (h, b, by) =>
    h.executeUpdate(shippedUpdate, { args: [{ vanAssetId: b.vanAssetId, actor: by }] }),
  );
  drive('received', 'received', receivedBody, (h, b, by) =>
    h.executeUpdate(receivedUpdate, {
      args: [{ receivedAt: new Date(b.receivedAt ?? Date.now()).toISOString(), actor: by }],
    }),
  );
  drive('cancel', 'cancel', cancelBody, (h, b, by) =>
    h.executeUpdate(cancelTransferUpdate, { args: [{ reason: b.reason ?? null, actor: by }] }),
  );

  return r;
}

// ---- API description ------------------------------------------------------------------------------

const transferView = z.object({
  transferId: z.string(),
  fromNodeId: z.string(),
  toNodeId: z.string(),
  status: z.enum(['planned', 'picked', 'shipped', 'done', 'cancelled']),
  vanAssetId: z.string().nullable(),
  receiptId: z.string().nullable(),
  lines: z.array(z.object({ lineNo: z.number().int(), sku: z.string(), quantity: z.number().int(), bin: z.string() })),
  picks: z.array(
    z.object({
      lotId: z.string(),
      sku: z.string(),
      qty: z.number().int(),
      status: z.enum(['in_transit', 'received', 'written_off', 'released']),
      destLotId: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
  events: z.array(z.object({ type: z.string(), at: z.string(), actor: z.string(), detail: z.unknown() })),
});
const stepResponses = {
  200: { description: 'The transfer after the step', schema: transferView },
  400: { description: 'Invalid body (the field is named)' },
  404: { description: 'Unknown transfer' },
  409: { description: 'The step is not allowed in the transfer status' },
  422: { description: 'The input does not fit the transfer or the stock (the field is named); nothing moved' },
};
const step = (id: string, path: string, body: z.ZodType, summary: string): ApiOperation => ({
  id,
  method: 'post',
  path: `/v1/transfers/:id/${path}`,
  tag: 'transfers',
  auth: ['ops'],
  params: transferParams,
  body,
  summary,
  responses: stepResponses,
});

/** The transfer operations, registered in the API description (api/openapi.ts). */
export const transferOperations: readonly ApiOperation[] = [
  {
    id: 'postTransfer',
    method: 'post',
    path: '/v1/transfers',
    tag: 'transfers',
    auth: ['ops'],
    body: transferBody,
    summary:
      'Plan a transfer (DC or store → front warehouse) from explicit lines or a replenishment suggestion, and start its workflow',
    responses: {
      201: { description: 'Planned', schema: transferView },
      200: { description: 'The same transfer again: the stored transfer', schema: transferView },
      400: { description: 'Invalid body (the field is named)' },
      409: { description: 'The transfer id was planned with a different body (the fields are named)' },
      422: {
        description:
          'Unknown node or suggestion, a destination that is not a front warehouse, a SKU the source does not hold, or no destination bin (the field is named); nothing written',
      },
    },
  },
  {
    id: 'getTransfer',
    method: 'get',
    path: '/v1/transfers/:id',
    tag: 'transfers',
    auth: ['ops'],
    params: transferParams,
    summary: 'A transfer with its lines, picks (in transit, received, written off, released) and events',
    responses: { 200: { description: 'The transfer', schema: transferView }, 404: { description: 'Unknown transfer' } },
  },
  step(
    'pickTransfer',
    'picked',
    pickedBody,
    'Picked at the source: the units leave their lots and are in transit (promised nowhere)',
  ),
  step(
    'shipTransfer',
    'shipped',
    shippedBody,
    'Shipped in a van: its telemetry decides the chilled and frozen lines at receipt',
  ),
  step(
    'receiveTransfer',
    'received',
    receivedBody,
    'Received at the destination through goods receiving: accepted lines become new lots; refused lines are written off',
  ),
  step('cancelTransfer', 'cancel', cancelBody, 'Cancel before shipping: in-transit units go back to their source lots'),
];
