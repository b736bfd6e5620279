// Goods receiving (issue 14): POST /v1/receipts (ops and integrators) receives a supplier
// delivery or a transfer at a node, idempotent by receipt id for its whole life (the same body:
// 200 with the stored receipt; a different body: 409 naming the fields), and
// GET /v1/lots/{lotId}/trace follows a lot from its supplier through its receipt to the orders
// it served.
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/pool';
import { receive, traceLot } from '../../db/receiving';
import { masterId } from '../../domain/masterdata/schemas';
import { receiptBody } from '../../domain/receiving/receipt';
import { requireRole } from '../auth';
import { ApiError } from '../errors';
import type { ApiOperation } from '../operation';

export const lotParams = z
  .object({ lotId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,129}$/, 'must be a lot id') })
  .strict();

/** Routes under /v1 for receiving and lot traceability. */
export function receiptsRouter(deps: { db: Db }): Router {
  const r = Router();

  r.post('/receipts', requireRole('ops', 'integrator'), async (req, res) => {
    const body = receiptBody.parse(req.body);
    const result = await deps.db.transaction((c) => receive(c, body, req.principal!.sub));
    if (result.outcome === 'conflict') {
      throw new ApiError(
        'FC_RECEIPT_CONFLICT',
        `receipt ${body.receiptId} was received with a different ${result.fields.join(', ')}`,
        result.fields.map((path) => ({ path, message: 'differs from the stored receipt' })),
      );
    }
    if (result.outcome === 'refused') {
      throw new ApiError(
        'FC_UNKNOWN_REFERENCE',
        result.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        result.problems,
      );
    }
    res.status(result.outcome === 'created' ? 201 : 200).json(result.receipt);
  });

  r.get('/lots/:lotId/trace', requireRole('ops'), async (req, res) => {
    const { lotId } = lotParams.parse(req.params);
    const trace = await traceLot(deps.db, lotId);
    if (!trace) throw new ApiError('FC_NOT_FOUND', `lot ${lotId} not found`);
    res.json(trace);
  });

  return r;
}

// ---- API description ------------------------------------------------------------------------------

const temperature = z.union([
  z.object({ source: z.literal('probe'), tempC: z.number() }),
  z.object({
    source: z.literal('van'),
    assetId: masterId,
    minC: z.number(),
    maxC: z.number(),
    readings: z.number().int(),
  }),
  z.object({ source: z.literal('none'), why: z.string() }),
]);
const receiptView = z.object({
  receiptId: z.string(),
  kind: z.enum(['supplier', 'transfer']),
  nodeId: z.string(),
  supplierId: z.string().nullable(),
  sourceNodeId: z.string().nullable(),
  receivedAt: z.string(),
  lines: z.array(
    z.object({
      lineNo: z.number().int(),
      sku: z.string(),
      quantity: z.number().int(),
      lotCode: z.string(),
      expiresOn: z.string(),
      bin: z.string(),
      temperature,
      status: z.enum(['accepted', 'refused']),
      reason: z.string().nullable().describe('Why a line was refused (it never entered stock)'),
      lotId: z.string().nullable().describe('The new lot of an accepted line'),
    }),
  ),
});

/** The receiving operations, registered in the API description (api/openapi.ts). */
export const receiptOperations: readonly ApiOperation[] = [
  {
    id: 'postReceipt',
    method: 'post',
    path: '/v1/receipts',
    tag: 'receiving',
    auth: ['ops', 'integrator'],
    body: receiptBody,
    summary:
      'Receive a supplier delivery or a transfer at a node: accepted lines become new lots; chilled and frozen lines out of band are refused with the reason',
    responses: {
      201: { description: 'Received', schema: receiptView },
      200: { description: 'The same receipt again: the stored receipt', schema: receiptView },
      400: { description: 'Invalid body (the field is named)' },
      409: { description: 'The receipt id was received with a different body (the fields are named)' },
      422: {
        description:
          'Unknown node, SKU, bin or van, a bin in another zone, or a chilled/frozen line with no temperature (the field is named); nothing written',
      },
    },
  },
  {
    id: 'traceLot',
    method: 'get',
    path: '/v1/lots/:lotId/trace',
    tag: 'receiving',
    auth: ['ops'],
    params: lotParams,
    summary: 'Trace a lot: supplier and receipt (FSMA 204 receiving event), then the orders that took it',
    responses: {
      200: { description: 'The lot, its receipt, its critical tracking events and the orders it served' },
      404: { description: 'Unknown lot' },
    },
  },
];
