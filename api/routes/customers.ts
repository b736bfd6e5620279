// Customers' personal data for ops (docs/privacy.md): the unmasked record and its export, each
// read written to the access log with who, when and why (a required `reason`); erasure on
// request (crypto-shredding: the customer's data key is destroyed); and the access log itself.
import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import { idSchema } from '../../domain/ids';
import { eraseCustomer, listPiiAccess, readCustomerForOps } from '../../db/customers';
import type { Db } from '../../db/pool';
import type { Config } from '../../config';
import { openPii } from '../../platform/pii';
import { requireRole } from '../auth';
import { ApiError } from '../errors';
import type { ApiOperation } from '../operation';
import { cleanText } from '../text';

const id = idSchema();
/** Why personal data is read or erased: stored in the access log as given. */
const reason = cleanText(3, 500).describe('Why (a ticket, a request): recorded in the access log');

/** Path of the customer routes. */
export const customerParams = z.object({ customerId: id }).strict();
/** Query of the routes that read or erase personal data: the reason is required. */
export const reasonQuery = z.object({ reason }).strict();

const instant = z.iso.datetime({ offset: true }).refine((s) => {
  const t = Date.parse(s);
  return t >= Date.UTC(1970, 0, 1) && t <= Date.UTC(2999, 11, 31);
}, 'must be between 1970 and 2999');
/** Query of GET /v1/pii-access-log. */
export const accessLogQuery = z
  .object({
    customerId: id.optional(),
    actor: z.string().min(1).max(200).optional().describe("The token subject that read (or 'system:retention')"),
    from: instant.optional().describe('Entries at or after this instant'),
    to: instant.optional().describe('Entries before this instant'),
    before: z
      .string()
      .regex(/^[1-9][0-9]{0,17}$/, 'must be an entry id')
      .optional()
      .describe('Page on: entries older than this id'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** The unmasked record as the view and the export show it. */
const customerRecordSchema = z.object({
  customerId: z.string(),
  name: z.string(),
  phone: z.string(),
  address: z.string(),
  orders: z.array(
    z.object({
      orderId: z.string(),
      status: z.string(),
      placedAt: z.string(),
      location: z.object({ lat: z.number(), lng: z.number() }).nullable(),
      personalDataErasedAt: z.string().nullable(),
    }),
  ),
});

const FIELDS = ['name', 'phone', 'address', 'location'] as const;

/** Routes under /v1 for customers' personal data (ops only). */
export function customersRouter(deps: { config: Config; db: Db }): Router {
  const r = Router();
  const ops = requireRole('ops');
  const who = (req: Request) => ({ actor: req.principal!.sub, role: req.principal!.role });

  const readRecord = async (req: Request, action: 'view' | 'export') => {
    const { customerId } = customerParams.parse(req.params);
    const q = reasonQuery.parse(req.query);
    const record = await readCustomerForOps(deps.db, customerId, {
      ...who(req),
      action,
      reason: q.reason,
      fields: FIELDS,
    });
    if (record.state === 'unknown') throw new ApiError('FC_NOT_FOUND', `customer ${customerId} not found`);
    if (record.state === 'erased')
      throw new ApiError(
        'FC_ERASED',
        `customer ${customerId}: personal data erased (${record.reason}) at ${record.erasedAt.toISOString()}`,
      );
    const pii = openPii<{ name: string; phone: string; address: string }>(record.sealed, deps.config.pii.key);
    return {
      customerId,
      name: pii.name,
      phone: pii.phone,
      address: pii.address,
      orders: record.orders.map((o) => ({
        ...o,
        placedAt: o.placedAt.toISOString(),
        personalDataErasedAt: o.personalDataErasedAt?.toISOString() ?? null,
      })),
    };
  };

  r.get('/customers/:customerId', ops, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await readRecord(req, 'view'));
  });

  r.get('/customers/:customerId/export', ops, async (req, res) => {
    const body = await readRecord(req, 'export');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Disposition', `attachment; filename="customer-${body.customerId}.json"`);
    res.json({ exportedAt: new Date().toISOString(), ...body });
  });

  r.delete('/customers/:customerId', ops, async (req, res) => {
    const { customerId } = customerParams.parse(req.params);
    const q = reasonQuery.parse(req.query);
    const result = await eraseCustomer(deps.db, customerId, { ...who(req), reason: q.reason });
    if (result.state === 'unknown') throw new ApiError('FC_NOT_FOUND', `customer ${customerId} not found`);
    if (result.state === 'active_orders') {
      throw new ApiError(
        'FC_ACTIVE_ORDERS',
        `customer ${customerId} has orders still on their way (${result.orderIds.join(', ')}): erase once they are finished or cancelled`,
        { orderIds: result.orderIds },
      );
    }
    res.json({
      customerId,
      erasedAt: result.erasedAt.toISOString(),
      ordersErased: result.orders,
      alreadyErased: result.alreadyErased,
    });
  });

  r.get('/pii-access-log', ops, async (req, res) => {
    const q = accessLogQuery.parse(req.query);
    const entries = await listPiiAccess(deps.db, {
      limit: q.limit,
      ...(q.customerId ? { customerId: q.customerId } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.from ? { from: new Date(q.from) } : {}),
      ...(q.to ? { to: new Date(q.to) } : {}),
      ...(q.before ? { beforeId: q.before } : {}),
    });
    res.json({
      entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })),
      next: entries.length === q.limit ? entries[entries.length - 1]!.id : null,
    });
  });

  return r;
}

const json = (description: string, schema?: z.ZodType) => ({
  description,
  schema: schema ?? z.record(z.string(), z.unknown()),
});

/** The personal-data operations, registered in the API description (api/openapi.ts). */
export const customerOperations: readonly ApiOperation[] = [
  {
    id: 'getCustomer',
    method: 'get',
    path: '/v1/customers/:customerId',
    tag: 'privacy',
    summary: "A customer's unmasked personal data and orders (logged with who, when and why)",
    auth: ['ops'],
    params: customerParams,
    query: reasonQuery,
    responses: {
      200: json('The record', customerRecordSchema),
      404: { description: 'Unknown customer' },
      410: { description: 'Personal data erased' },
    },
  },
  {
    id: 'exportCustomer',
    method: 'get',
    path: '/v1/customers/:customerId/export',
    tag: 'privacy',
    summary: "Export a customer's personal data as a JSON file (logged with who, when and why)",
    auth: ['ops'],
    params: customerParams,
    query: reasonQuery,
    responses: {
      200: json('The record as an attachment', customerRecordSchema.extend({ exportedAt: z.string() })),
      404: { description: 'Unknown customer' },
      410: { description: 'Personal data erased' },
    },
  },
  {
    id: 'eraseCustomer',
    method: 'delete',
    path: '/v1/customers/:customerId',
    tag: 'privacy',
    summary: "Erase a customer's personal data (crypto-shredding); orders stay on the pseudonymous id",
    description:
      'Destroys the customer data key and record, clears the door (coordinates, address hash) of every order of theirs; KPIs and lot traceability are unaffected. Idempotent: again, the first erasure is answered. Refused (409) while an order is on its way.',
    auth: ['ops'],
    params: customerParams,
    query: reasonQuery,
    responses: {
      200: json(
        'Erased',
        z.object({
          customerId: z.string(),
          erasedAt: z.string(),
          ordersErased: z.number().int(),
          alreadyErased: z.boolean(),
        }),
      ),
      404: { description: 'Unknown customer' },
      409: { description: 'Orders still on their way (listed)' },
    },
  },
  {
    id: 'piiAccessLog',
    method: 'get',
    path: '/v1/pii-access-log',
    tag: 'privacy',
    summary: 'Who read or erased unmasked personal data, when and why (newest first)',
    auth: ['ops'],
    query: accessLogQuery,
    responses: { 200: json('Entries, and the id to page on from') },
  },
];
