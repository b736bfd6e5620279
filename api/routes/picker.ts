// Picker API (/picker/v1): a picker works one node, the one its token names. Lists the node's
// open waves (planned on each request from the open-task table), claims a wave, and acts on
// lines: start, confirm a scan, short-pick, skip, propose a substitute; then stages totes and
// hands them to a courier. Every action is a validated Temporal update on the fulfilment, so a
// move the state does not allow is refused at once (409, with the workflow's message), and
// carries an idempotency key (Idempotency-Key header or `idempotencyKey` in the body): a phone
// that retries gets the first answer again, nothing is picked twice. Customer data is masked.
//
// Also here, mounted on /v1: the customer's side of substitutions (policy, pending proposals,
// decision), which integrators call on the customer's behalf.
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import express, { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { fulfilmentIdSchema, idSchema } from '../../domain/ids';
import type { Config } from '../../config';
import {
  nodeForPicking,
  openPickTasks,
  pickTask,
  pickTasksOfOrder,
  policyFor,
  sealedContacts,
  setSubstitutionPolicies,
  skuNames,
  substitutionPolicies,
} from '../../db/picking';
import type { PickTaskRow, SubstitutionPolicyRow } from '../../db/picking';
import { loadOrder } from '../../db/orders';
import type { Db } from '../../db/pool';
import { compareBins, zoneRank } from '../../domain/orders';
import { maskName, maskPhone, openPii } from '../../platform/pii';
import {
  claimPickUpdate,
  confirmPickUpdate,
  decideSubstitutionUpdate,
  handOverUpdate,
  pickLineStartUpdate,
  proposeSubstitutionUpdate,
  shortPickUpdate,
  skipLineUpdate,
  stageTotesUpdate,
} from '../../workflows/fulfilment.contract';
import type { PickActionResult, PickView, SubstitutionView } from '../../domain/orders';
import { packBlocker, pickStatus, totesToStage } from '../../domain/orders/picking';
import { requireRole } from '../auth';
import { ApiError, rethrowConflict } from '../errors';
import { assertOrderReachable, orderNotFound } from '../ownership';
import type { ApiOperation } from '../operation';
import { fromTemporal } from '../temporal-errors';
import { planNodeWaves, waveLimitsOf } from './picker-waves';

/** What the picker routes need. */
export interface PickerDeps {
  config: Config;
  db: Db;
  temporal: Client;
}

// ---- Schemas: they validate requests and describe them in /openapi.json -------------------------

const id = idSchema();
const fulfilmentId = fulfilmentIdSchema();
/** An idempotency key: a UUID or any 1-128 safe characters; the same key means the same request. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 letters, digits, dot, underscore, colon or dash');
const keyField = {
  idempotencyKey: idempotencyKeySchema.optional().describe('Alternative to the Idempotency-Key header'),
};
const zone = z.enum(['ambient', 'chilled', 'frozen']);
const shortReason = z.enum(['not_found', 'damaged', 'expired', 'quality']);
const policyName = z.enum(['best_match', 'specific', 'refund']);
const qty = z.number().int().min(1).max(999);

export const nodeParams = z.object({ nodeId: id });
export const fulfilmentParams = z.object({ fulfilmentId });
export const lineParams = z.object({ fulfilmentId, lineId: id });
export const orderParams = z.object({ orderId: id });
export const orderLineParams = z.object({ orderId: id, lineId: id });

export const claimBody = z
  .object({ waveId: z.string().min(1).max(300).describe('A wave id from GET .../waves'), ...keyField })
  .strict();
export const keyOnlyBody = z.object(keyField).strict();
export const confirmBody = z
  .object({ sku: id.describe('Scanned product code'), lotId: id.describe('Scanned lot code'), qty, ...keyField })
  .strict();
export const shortBody = z.object({ reason: shortReason, ...keyField }).strict();
export const substituteBody = z
  .object({ reason: shortReason, sku: id.describe('The substitute product'), qty, ...keyField })
  .strict();
export const stageBody = z
  .object({
    location: z.string().trim().min(1).max(64).describe('Staging bay'),
    toteLabels: z.array(z.string().min(1).max(100)).min(1).max(3).describe('Every tote with goods, scanned'),
    ...keyField,
  })
  .strict();
export const handOverBody = z.object({ courierId: id, ...keyField }).strict();
export const decisionBody = z.object({ accept: z.boolean(), ...keyField }).strict();
export const policyBody = z
  .object({
    default: z
      .enum(['best_match', 'refund'])
      .optional()
      .describe('For lines without their own policy; best_match when absent'),
    decisionWindowSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .optional()
      .describe("How long a best-match substitute waits for the customer's answer before it stands (default 180)"),
    lines: z
      .array(
        z
          .object({
            lineId: id,
            policy: policyName,
            sku: id.optional().describe('The one acceptable substitute (policy specific)'),
          })
          .strict(),
      )
      .max(100)
      .optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    (b.lines ?? []).forEach((l, i) => {
      if (seen.has(l.lineId))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'lineId'], message: `duplicate lineId ${l.lineId}` });
      seen.add(l.lineId);
      if (l.policy === 'specific' && !l.sku)
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: 'is required for policy specific' });
      if (l.policy !== 'specific' && l.sku)
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: 'only policy specific names a sku' });
    });
  });

const iso = z.iso.datetime();
const policyView = z.object({ policy: policyName, sku: z.string().nullable(), name: z.string().nullable() });
const substitutionView = z.object({
  sku: z.string(),
  name: z.string().nullable(),
  qty: z.number().int(),
  policy: policyName,
  status: z.enum(['pending', 'accepted', 'refused']),
  decidedBy: z.enum(['policy', 'customer', 'timeout']).nullable(),
  decideBy: iso.nullable(),
  newLineId: z.string(),
  creditCents: z.number().int(),
});
const shortView = z.object({
  missing: z.number().int(),
  reason: shortReason,
  resolution: z.enum(['reallocated', 'substitution_pending', 'substituted', 'refunded']),
  reallocatedAs: z.string().nullable(),
  substitution: substitutionView.nullable(),
  creditCents: z.number().int(),
});
const lineView = z.object({
  lineId: z.string(),
  sku: z.string(),
  name: z.string().nullable(),
  zone,
  toteLabel: z.string(),
  qty: z.number().int(),
  picked: z.number().int(),
  status: z.enum(['pending', 'in_progress', 'picked', 'short']),
  skips: z.number().int(),
  lots: z.array(
    z.object({
      lotId: z.string(),
      bin: z.string().nullable(),
      expiresOn: z.string(),
      qty: z.number().int(),
      picked: z.number().int(),
    }),
  ),
  short: shortView.nullable(),
  substitutionPolicy: policyView,
});
/** A fulfilment as a picker sees it: no name, phone or address beyond the masked hand-over check. */
export const taskSchema = z.object({
  fulfilmentId: z.string(),
  orderId: z.string(),
  orderNumber: z.string(),
  nodeId: z.string(),
  state: z.string().describe('Fulfilment state: allocated, picking, packed, dispatched, ...'),
  pickStatus: z.enum(['pending', 'picking', 'picked', 'staged', 'handed_over', 'closed']),
  slot: z.object({ kind: z.enum(['instant', 'scheduled']), start: iso, end: iso }),
  pickDeadline: iso,
  customer: z
    .object({ name: z.string().describe('Initial only, e.g. L**'), phone: z.string().describe('Last 4 digits only') })
    .nullable(),
  zones: z.array(
    z.object({ zone, toteLabel: z.string(), claimed: z.boolean(), mine: z.boolean(), waveId: z.string().nullable() }),
  ),
  lines: z.array(lineView).describe('Pick-path order: zone, skipped last, bin'),
  totesToStage: z.array(z.string()),
  stageBlocker: z.string().nullable(),
  staging: z.object({ location: z.string(), toteLabels: z.array(z.string()), at: iso }).nullable(),
  courierId: z.string().nullable(),
});
const stepSchema = z.object({
  fulfilmentId: z.string(),
  orderId: z.string(),
  lineId: z.string(),
  sku: z.string(),
  name: z.string().nullable(),
  zone,
  bin: z.string().nullable(),
  lotId: z.string(),
  expiresOn: z.string(),
  qty: z.number().int(),
  toteLabel: z.string(),
  skipped: z.boolean(),
});
const waveSchema = z.object({
  waveId: z.string(),
  zone,
  deadline: iso,
  slackMs: z.number(),
  atRisk: z.boolean(),
  oversize: z.boolean(),
  lineCount: z.number().int(),
  estimatedPickMs: z.number(),
  estimatedStart: iso,
  fulfilments: z.array(z.object({ fulfilmentId: z.string(), orderId: z.string(), toteLabel: z.string() })),
  tasks: z.array(stepSchema.omit({ expiresOn: true, skipped: true })),
});
export const wavesResponse = z.object({
  nodeId: z.string(),
  plannedAt: iso,
  limits: z.object({ maxOrdersPerWave: z.number(), maxLinesPerWave: z.number(), pickersOnShift: z.number() }).loose(),
  waves: z.array(waveSchema).describe('Open waves in execution order: least SLA slack first; ambient, chilled, frozen'),
  mine: z.array(z.object({ waveId: z.string().nullable(), zone, fulfilmentId: z.string() })),
});
export const tasksResponse = z.object({
  nodeId: z.string(),
  pickerId: z.string(),
  tasks: z.array(taskSchema),
  pickPath: z.array(stepSchema),
});
const resultSchema = z.object({
  idempotencyKey: z.string(),
  action: z.string(),
  lineId: z.string().nullable(),
  outcome: z.string(),
  replayed: z.boolean(),
});
export const actionResponse = z.object({ result: resultSchema, task: taskSchema });
export const claimResponse = z.object({
  waveId: z.string(),
  claimed: z.array(z.object({ fulfilmentId: z.string(), outcome: z.string(), replayed: z.boolean() })),
  refused: z.array(z.object({ fulfilmentId: z.string(), message: z.string() })),
  tasks: z.array(taskSchema),
});
export const substitutionsResponse = z.object({
  orderId: z.string(),
  policies: z.array(z.object({ lineId: z.string(), policy: policyName, sku: z.string().nullable() })),
  proposals: z.array(
    z.object({
      fulfilmentId: z.string(),
      lineId: z.string(),
      sku: z.string(),
      missing: z.number().int(),
      reason: shortReason,
      substitute: substitutionView,
    }),
  ),
});
export const decisionResponse = z.object({ result: resultSchema, proposal: substitutionView });

type TaskBody = z.infer<typeof taskSchema>;
type StepBody = z.infer<typeof stepSchema>;

// ---- Views --------------------------------------------------------------------------------------

/** What the picker's screens need besides the workflow's view: names, masked contacts, policies. */
interface Extras {
  names: Map<string, string>;
  contacts: Map<string, { name: string; phone: string } | null>;
  policies: Map<string, SubstitutionPolicyRow[]>;
}

async function extrasFor(db: Db, config: Config, views: readonly PickView[]): Promise<Extras> {
  const orderIds = [...new Set(views.map((v) => v.orderId))];
  const skus = views.flatMap((v) =>
    v.lines.flatMap((l) => [l.sku, ...(l.short?.substitution ? [l.short.substitution.sku] : [])]),
  );
  const [sealed, policies] = await Promise.all([sealedContacts(db, orderIds), substitutionPolicies(db, orderIds)]);
  const names = await skuNames(db, [...skus, ...[...policies.values()].flat().flatMap((p) => (p.sku ? [p.sku] : []))]);
  const contacts = new Map<string, { name: string; phone: string } | null>();
  for (const orderId of orderIds) {
    const box = sealed.get(orderId);
    try {
      // Decrypted only to mask: the full name, phone and address never leave this function.
      const pii = box ? openPii<{ name?: string; phone?: string }>(box, config.pii.key) : undefined;
      contacts.set(orderId, pii ? { name: maskName(pii.name ?? ''), phone: maskPhone(pii.phone ?? '') } : null);
    } catch {
      contacts.set(orderId, null);
    }
  }
  return { names, contacts, policies };
}

const isoOf = (ms: number) => new Date(ms).toISOString();

function substitutionBody(sub: SubstitutionView, name: string | null): z.infer<typeof substitutionView> {
  return {
    sku: sub.sku,
    name,
    qty: sub.qty,
    policy: sub.policy,
    status: sub.status,
    decidedBy: sub.decidedBy,
    decideBy: sub.decideByMs === null ? null : isoOf(sub.decideByMs),
    newLineId: sub.newLineId,
    creditCents: sub.creditCents,
  };
}

/** The picker's view of a fulfilment. */
export function taskBody(v: PickView, pickerId: string, x: Extras): TaskBody {
  const state = { zones: v.zones, lines: v.lines, staging: v.staging };
  const name = (sku: string | null) => (sku ? (x.names.get(sku) ?? null) : null);
  return {
    fulfilmentId: v.fulfilmentId,
    orderId: v.orderId,
    orderNumber: v.orderId,
    nodeId: v.nodeId,
    state: v.state,
    pickStatus: pickStatus(v.state, state),
    slot: { kind: v.slot.kind, start: isoOf(v.slot.start), end: isoOf(v.slot.end) },
    pickDeadline: isoOf(v.pickDeadlineMs),
    customer: x.contacts.get(v.orderId) ?? null,
    zones: v.zones.map((z) => ({
      zone: z.zone,
      toteLabel: z.toteLabel,
      claimed: z.pickerId !== null,
      mine: z.pickerId === pickerId,
      waveId: z.waveId,
    })),
    lines: v.lines.map((l) => {
      const policy = policyFor(x.policies.get(v.orderId), l.lineId);
      const sub = l.short?.substitution ?? null;
      return {
        lineId: l.lineId,
        sku: l.sku,
        name: name(l.sku),
        zone: l.zone,
        toteLabel: l.toteLabel,
        qty: l.qty,
        picked: l.picked,
        status: l.status,
        skips: l.skips,
        lots: l.lots.map((lot) => ({ ...lot })),
        short: l.short
          ? {
              missing: l.short.missing,
              reason: l.short.reason,
              resolution: l.short.resolution,
              reallocatedAs: l.short.reallocatedAs,
              creditCents: l.short.creditCents,
              substitution: sub ? substitutionBody(sub, name(sub.sku)) : null,
            }
          : null,
        substitutionPolicy: { policy: policy.policy, sku: policy.sku, name: name(policy.sku) },
      };
    }),
    totesToStage: v.state === 'picking' ? totesToStage(state) : [],
    stageBlocker: v.state === 'picking' ? packBlocker(state) : null,
    staging: v.staging
      ? { location: v.staging.location, toteLabels: v.staging.toteLabels, at: isoOf(v.staging.at) }
      : null,
    courierId: v.courierId,
  };
}

/** The picker's walk: open lots of their open lines across their fulfilments, zone then bin. */
export function pickPathOf(views: readonly PickView[], pickerId: string, names: Map<string, string>): StepBody[] {
  const steps: StepBody[] = [];
  for (const v of views) {
    if (v.state !== 'picking') continue;
    const mine = new Set(v.zones.filter((z) => z.pickerId === pickerId).map((z) => z.zone));
    for (const l of v.lines) {
      if (!mine.has(l.zone) || l.status === 'picked' || l.status === 'short') continue;
      for (const lot of l.lots) {
        if (lot.picked >= lot.qty) continue;
        steps.push({
          fulfilmentId: v.fulfilmentId,
          orderId: v.orderId,
          lineId: l.lineId,
          sku: l.sku,
          name: names.get(l.sku) ?? null,
          zone: l.zone,
          bin: lot.bin,
          lotId: lot.lotId,
          expiresOn: lot.expiresOn,
          qty: lot.qty - lot.picked,
          toteLabel: l.toteLabel,
          skipped: l.skips > 0,
        });
      }
    }
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return steps.sort(
    (a, b) =>
      zoneRank(a.zone) - zoneRank(b.zone) ||
      Number(a.skipped) - Number(b.skipped) ||
      compareBins(a.bin ?? undefined, b.bin ?? undefined) ||
      cmp(a.fulfilmentId, b.fulfilmentId) ||
      cmp(a.lineId, b.lineId),
  );
}

// ---- Helpers ------------------------------------------------------------------------------------

/** The idempotency key of a request: header or body field (both: they must agree). */
export function idempotencyKeyOf(req: Request, body: { idempotencyKey?: string | undefined }): string {
  const header = req.get('idempotency-key');
  if (header !== undefined && !idempotencyKeySchema.safeParse(header).success)
    throw new ApiError(
      'FC_VALIDATION',
      'Idempotency-Key: must be 1-128 letters, digits, dot, underscore, colon or dash',
    );
  if (header && body.idempotencyKey && header !== body.idempotencyKey)
    throw new ApiError('FC_VALIDATION', 'Idempotency-Key header and idempotencyKey in the body differ');
  const key = header || body.idempotencyKey;
  if (!key)
    throw new ApiError(
      'FC_IDEMPOTENCY_KEY_REQUIRED',
      'an Idempotency-Key header (or idempotencyKey in the body) is required: reuse it when retrying the same action',
    );
  return key;
}

function pickerOf(req: Request): { pickerId: string; nodeId: string } {
  const p = req.principal!;
  if (!p.nodeId) throw new ApiError('FC_FORBIDDEN', 'this picker token names no node');
  return { pickerId: p.sub, nodeId: p.nodeId };
}

function sameNode(req: Request, nodeId: string): { pickerId: string; nodeId: string } {
  const me = pickerOf(req);
  if (me.nodeId !== nodeId) throw new ApiError('FC_FORBIDDEN', `this token works node ${me.nodeId}, not ${nodeId}`);
  return me;
}

const OPEN = new Set(['allocated', 'picking', 'packed']);

/** Send an update; a finished fulfilment is a 409 naming its state, a refusal a 409 with the workflow's message. */
async function update<T>(temporal: Client, row: PickTaskRow, what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    const desc = await temporal.workflow
      .getHandle(row.fulfilmentId)
      .describe()
      .catch(() => undefined);
    if (desc && desc.status.name !== 'RUNNING')
      throw new ApiError(
        'FC_INVALID_TRANSITION',
        `cannot ${what} a fulfilment that is ${OPEN.has(row.state) ? desc.status.name.toLowerCase() : row.state} (it has finished)`,
      );
    return fromTemporal(err, `fulfilment ${row.fulfilmentId}`);
  }
}

// ---- Routes -------------------------------------------------------------------------------------

/** Routes under /picker/v1 (mount behind `authenticate`). */
export function pickerRouter(deps: PickerDeps): Router {
  const r = Router();
  const { db, temporal, config } = deps;
  r.use(requireRole('picker'));

  /** The fulfilment of a path, refused (403) when it is another node's. */
  const rowOf = async (req: Request): Promise<{ row: PickTaskRow; pickerId: string }> => {
    const { fulfilmentId: fid } = fulfilmentParams.parse({ fulfilmentId: req.params.fulfilmentId });
    const me = pickerOf(req);
    const row = await pickTask(db, fid);
    if (!row) throw new ApiError('FC_NOT_FOUND', `fulfilment ${fid} not found (or not open for picking yet)`);
    if (row.nodeId !== me.nodeId)
      throw new ApiError(
        'FC_FORBIDDEN',
        `fulfilment ${fid} is picked at another node; this token works node ${me.nodeId}`,
      );
    return { row, pickerId: me.pickerId };
  };

  const answer = async (res: Response, pickerId: string, result: PickActionResult): Promise<void> => {
    const x = await extrasFor(db, config, [result.task]);
    const { task, ...rest } = result;
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.json({ result: rest, task: taskBody(task, pickerId, x) });
  };

  r.get('/me', (req, res) => {
    const me = pickerOf(req);
    res.json({ pickerId: me.pickerId, nodeId: me.nodeId, role: 'picker' });
  });

  r.get('/nodes/:nodeId/waves', async (req, res) => {
    const { nodeId } = nodeParams.parse(req.params);
    const me = sameNode(req, nodeId);
    const node = await nodeForPicking(db, nodeId);
    if (!node) throw new ApiError('FC_NOT_FOUND', `node ${nodeId} not found`);
    const rows = await openPickTasks(db, nodeId);
    const now = Date.now();
    const limits = waveLimitsOf(node.waves);
    const waves = planNodeWaves(
      nodeId,
      rows.map((x) => x.view),
      now,
      limits,
    );
    const byId = new Map(rows.map((x) => [x.fulfilmentId, x.view]));
    const names = await skuNames(
      db,
      waves.flatMap((w) => w.tasks.map((t) => t.sku)),
    );
    res.json({
      nodeId,
      plannedAt: isoOf(now),
      limits,
      waves: waves.map((w) => ({
        waveId: w.waveId,
        zone: w.zone,
        deadline: isoOf(w.deadlineMs),
        slackMs: w.slackMs,
        atRisk: w.atRisk,
        oversize: w.oversize,
        lineCount: w.lineCount,
        estimatedPickMs: w.estimatedPickMs,
        estimatedStart: isoOf(w.estimatedStartMs),
        fulfilments: w.orderIds.map((fid) => ({
          fulfilmentId: fid,
          orderId: byId.get(fid)?.orderId ?? '',
          toteLabel: byId.get(fid)?.zones.find((z) => z.zone === w.zone)?.toteLabel ?? '',
        })),
        tasks: w.tasks.map((t) => ({
          fulfilmentId: t.orderId,
          orderId: byId.get(t.orderId)?.orderId ?? '',
          lineId: t.lineId,
          sku: t.sku,
          name: names.get(t.sku) ?? null,
          zone: t.zone,
          bin: t.bin ?? null,
          lotId: t.lotId,
          qty: t.qty,
          toteLabel: byId.get(t.orderId)?.zones.find((z) => z.zone === t.zone)?.toteLabel ?? '',
        })),
      })),
      mine: rows.flatMap((x) =>
        x.view.zones
          .filter((z) => z.pickerId === me.pickerId && OPEN.has(x.state))
          .map((z) => ({ waveId: z.waveId, zone: z.zone, fulfilmentId: x.fulfilmentId })),
      ),
    });
  });

  r.post('/nodes/:nodeId/claims', async (req, res) => {
    const { nodeId } = nodeParams.parse(req.params);
    const me = sameNode(req, nodeId);
    const body = claimBody.parse(req.body ?? {});
    const key = idempotencyKeyOf(req, body);
    const node = await nodeForPicking(db, nodeId);
    if (!node) throw new ApiError('FC_NOT_FOUND', `node ${nodeId} not found`);
    const rows = await openPickTasks(db, nodeId);
    const wave = planNodeWaves(
      nodeId,
      rows.map((x) => x.view),
      Date.now(),
      waveLimitsOf(node.waves),
    ).find((w) => w.waveId === body.waveId);
    // A retried claim finds its wave gone from the open plan (it is this picker's now): resend to the same fulfilments.
    const mine = rows.filter((x) => x.view.zones.some((z) => z.waveId === body.waveId && z.pickerId === me.pickerId));
    const zone = wave?.zone ?? mine[0]?.view.zones.find((z) => z.waveId === body.waveId)?.zone;
    const members = [...new Set([...(wave?.orderIds ?? []), ...mine.map((x) => x.fulfilmentId)])];
    if (!zone || !members.length)
      throw new ApiError(
        'FC_WAVE_GONE',
        `wave ${body.waveId} is no longer open (claimed by another picker or re-planned): refresh the wave list`,
      );
    const outcomes = await Promise.all(
      members.map(async (fid) => {
        try {
          const result = await temporal.workflow.getHandle(fid).executeUpdate(claimPickUpdate, {
            args: [{ pickerId: me.pickerId, zones: [zone], waveId: body.waveId, idempotencyKey: key }],
          });
          return { fid, result };
        } catch (err) {
          try {
            fromTemporal(err, `fulfilment ${fid}`);
          } catch (mapped) {
            if (mapped instanceof ApiError) return { fid, message: mapped.message };
            throw mapped;
          }
          throw err;
        }
      }),
    );
    const claimed = outcomes.flatMap((o) =>
      'result' in o && o.result
        ? [{ fulfilmentId: o.fid, outcome: o.result.outcome, replayed: o.result.replayed, task: o.result.task }]
        : [],
    );
    const refused = outcomes.flatMap((o) =>
      'message' in o && o.message ? [{ fulfilmentId: o.fid, message: o.message }] : [],
    );
    const x = await extrasFor(
      db,
      config,
      claimed.map((c) => c.task),
    );
    const out = {
      waveId: body.waveId,
      claimed: claimed.map(({ task: _t, ...c }) => c),
      refused,
      tasks: claimed.map((c) => taskBody(c.task, me.pickerId, x)),
    };
    if (claimed.length && claimed.every((c) => c.replayed)) res.set('Idempotent-Replayed', 'true');
    if (!claimed.length)
      throw new ApiError(
        'FC_INVALID_TRANSITION',
        `could not claim wave ${body.waveId}: ${refused.map((f) => `${f.fulfilmentId}: ${f.message}`).join('; ')}`,
        refused,
      );
    res.json(out);
  });

  r.get('/nodes/:nodeId/tasks', async (req, res) => {
    const { nodeId } = nodeParams.parse(req.params);
    const me = sameNode(req, nodeId);
    const views = (await openPickTasks(db, nodeId))
      .filter((x) => x.pickers.includes(me.pickerId) && x.state !== 'allocated')
      .map((x) => x.view);
    const x = await extrasFor(db, config, views);
    res.json({
      nodeId,
      pickerId: me.pickerId,
      tasks: views.map((v) => taskBody(v, me.pickerId, x)),
      pickPath: pickPathOf(views, me.pickerId, x.names),
    });
  });

  r.get('/fulfilments/:fulfilmentId', async (req, res) => {
    const { row, pickerId } = await rowOf(req);
    const x = await extrasFor(db, config, [row.view]);
    res.json(taskBody(row.view, pickerId, x));
  });

  /** A line or fulfilment action: validated body, idempotency key, one Temporal update. */
  const action =
    <S extends z.ZodType<{ idempotencyKey?: string | undefined }>>(
      schema: S,
      what: string,
      send: (
        fid: string,
        args: { pickerId: string; idempotencyKey: string; lineId: string; body: z.output<S> },
      ) => Promise<PickActionResult>,
    ): RequestHandler =>
    async (req, res) => {
      const body = schema.parse(req.body ?? {});
      const { row, pickerId } = await rowOf(req);
      const lineId = req.params.lineId === undefined ? '' : lineParams.shape.lineId.parse(req.params.lineId);
      const idempotencyKey = idempotencyKeyOf(req, body);
      const result = await update(temporal, row, what, () =>
        send(row.fulfilmentId, { pickerId, idempotencyKey, lineId, body }),
      );
      await answer(res, pickerId, result);
    };
  const handle = (fid: string) => temporal.workflow.getHandle(fid);

  r.post(
    '/fulfilments/:fulfilmentId/lines/:lineId/start',
    action(keyOnlyBody, 'start a line on', (fid, a) =>
      handle(fid).executeUpdate(pickLineStartUpdate, {
        args: [{ pickerId: a.pickerId, idempotencyKey: a.idempotencyKey, lineId: a.lineId }],
      }),
    ),
  );
  r.post(
    '/fulfilments/:fulfilmentId/lines/:lineId/confirm',
    action(confirmBody, 'confirm a pick on', (fid, a) =>
      handle(fid).executeUpdate(confirmPickUpdate, {
        args: [
          {
            pickerId: a.pickerId,
            idempotencyKey: a.idempotencyKey,
            lineId: a.lineId,
            sku: a.body.sku,
            lotId: a.body.lotId,
            qty: a.body.qty,
          },
        ],
      }),
    ),
  );
  r.post(
    '/fulfilments/:fulfilmentId/lines/:lineId/short',
    action(shortBody, 'short-pick a line on', (fid, a) =>
      handle(fid).executeUpdate(shortPickUpdate, {
        args: [{ pickerId: a.pickerId, idempotencyKey: a.idempotencyKey, lineId: a.lineId, reason: a.body.reason }],
      }),
    ),
  );
  r.post(
    '/fulfilments/:fulfilmentId/lines/:lineId/skip',
    action(keyOnlyBody, 'skip a line on', (fid, a) =>
      handle(fid).executeUpdate(skipLineUpdate, {
        args: [{ pickerId: a.pickerId, idempotencyKey: a.idempotencyKey, lineId: a.lineId }],
      }),
    ),
  );
  r.post(
    '/fulfilments/:fulfilmentId/lines/:lineId/substitute',
    action(substituteBody, 'propose a substitute on', (fid, a) =>
      handle(fid).executeUpdate(proposeSubstitutionUpdate, {
        args: [
          {
            pickerId: a.pickerId,
            idempotencyKey: a.idempotencyKey,
            lineId: a.lineId,
            reason: a.body.reason,
            sku: a.body.sku,
            qty: a.body.qty,
          },
        ],
      }),
    ),
  );
  r.post(
    '/fulfilments/:fulfilmentId/stage',
    action(stageBody, 'stage', (fid, a) =>
      handle(fid).executeUpdate(stageTotesUpdate, {
        args: [
          {
            pickerId: a.pickerId,
            idempotencyKey: a.idempotencyKey,
            toteLabels: a.body.toteLabels,
            location: a.body.location,
          },
        ],
      }),
    ),
  );
  r.post(
    '/fulfilments/:fulfilmentId/hand-over',
    action(handOverBody, 'hand over', (fid, a) =>
      handle(fid).executeUpdate(handOverUpdate, {
        args: [{ pickerId: a.pickerId, idempotencyKey: a.idempotencyKey, courierId: a.body.courierId }],
      }),
    ),
  );

  return r;
}

/** The customer's side of substitutions, on /v1 (integrators act for the customer of the orders they placed; ops for any). */
export function substitutionsRouter(deps: PickerDeps): Router {
  const r = Router();
  const { db, temporal } = deps;
  const allowed = requireRole('integrator', 'ops');

  r.put('/orders/:orderId/substitution-policy', allowed, async (req, res) => {
    const { orderId } = orderParams.parse(req.params);
    const body = policyBody.parse(req.body ?? {});
    await assertOrderReachable(db, req.principal!, orderId);
    // A policy for an order nobody placed would sit there for ever (and answer for an order id not yet taken).
    if (!(await loadOrder(db, orderId))) throw orderNotFound(orderId);
    const decisionWindowS = body.decisionWindowSeconds ?? null;
    const rows: SubstitutionPolicyRow[] = [
      ...(body.default || decisionWindowS
        ? [{ lineId: '*', policy: body.default ?? ('best_match' as const), sku: null, decisionWindowS }]
        : []),
      ...(body.lines ?? []).map((l) => ({ lineId: l.lineId, policy: l.policy, sku: l.sku ?? null, decisionWindowS })),
    ];
    await setSubstitutionPolicies(db, orderId, rows).catch(rethrowConflict('concurrent_write', 'FC_CONFLICT'));
    res.json({
      orderId,
      policies: rows.map(({ decisionWindowS: _w, ...p }) => p),
      decisionWindowSeconds: decisionWindowS,
    });
  });

  r.get('/orders/:orderId/substitutions', allowed, async (req, res) => {
    const { orderId } = orderParams.parse(req.params);
    await assertOrderReachable(db, req.principal!, orderId);
    const [rows, policies] = await Promise.all([pickTasksOfOrder(db, orderId), substitutionPolicies(db, [orderId])]);
    res.json({
      orderId,
      policies: (policies.get(orderId) ?? []).map(({ decisionWindowS: _w, ...p }) => p),
      proposals: rows.flatMap((row) => proposalsOf(row.view)),
    });
  });

  r.post('/orders/:orderId/substitutions/:lineId/decision', allowed, async (req, res) => {
    const { orderId, lineId } = orderLineParams.parse(req.params);
    const body = decisionBody.parse(req.body ?? {});
    const idempotencyKey = idempotencyKeyOf(req, body);
    await assertOrderReachable(db, req.principal!, orderId);
    const row = (await pickTasksOfOrder(db, orderId)).find((x) =>
      x.view.lines.some((l) => l.lineId === lineId && l.short?.substitution),
    );
    if (!row) throw new ApiError('FC_NOT_FOUND', `no substitute was proposed for line ${lineId} of order ${orderId}`);
    const result = await update(temporal, row, 'decide a substitute on', () =>
      temporal.workflow.getHandle(row.fulfilmentId).executeUpdate(decideSubstitutionUpdate, {
        args: [{ lineId, accept: body.accept, decidedBy: req.principal!.sub, idempotencyKey }],
      }),
    );
    const proposal = proposalsOf(result.task).find((p) => p.lineId === lineId)!;
    const { task: _t, ...rest } = result;
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.json({ result: rest, proposal: proposal.substitute });
  });

  return r;
}

function proposalsOf(v: PickView) {
  return v.lines.flatMap((l) => {
    const sub = l.short?.substitution;
    if (!l.short || !sub) return [];
    return [
      {
        fulfilmentId: v.fulfilmentId,
        lineId: l.lineId,
        sku: l.sku,
        missing: l.short.missing,
        reason: l.short.reason,
        substitute: substitutionBody(sub, null),
      },
    ];
  });
}

/** The phone page (static files, no build step), served at /picker/. It holds no secrets: it asks for a token. */
export function pickerPage(): Router {
  const r = Router();
  r.use(
    express.static(join(__dirname, '..', 'public', 'picker'), {
      index: 'index.html',
      setHeaders: (res) => {
        res.setHeader('Cache-Control', 'no-cache');
        res.setHeader(
          'Content-Security-Policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        );
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    }),
  );
  return r;
}

// ---- OpenAPI ------------------------------------------------------------------------------------

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: ERROR_TEXT[c] ?? 'error' }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid body, path or idempotency key',
  403: 'Not a picker, or another node',
  404: 'No such node or fulfilment',
  409: 'Refused by the fulfilment: the message says why (invalid transition, not your tote, wrong scan, key reused)',
};
const line = (path: string, id: string, summary: string, body: z.ZodType, description?: string): ApiOperation => ({
  id,
  method: 'post',
  path: `/picker/v1/fulfilments/:fulfilmentId/lines/:lineId/${path}`,
  tag: 'picker',
  summary,
  ...(description ? { description } : {}),
  auth: ['picker'],
  params: lineParams,
  body,
  idempotencyKey: true,
  responses: {
    200: { description: 'Done (or replayed: header Idempotent-Replayed)', schema: actionResponse },
    ...errors(400, 403, 404, 409),
  },
});

/** The picker and substitution operations, registered in the API description (api/openapi.ts). */
export const pickerOperations: readonly ApiOperation[] = [
  {
    id: 'pickerMe',
    method: 'get',
    path: '/picker/v1/me',
    tag: 'picker',
    summary: 'Who the token is and which node it works',
    auth: ['picker'],
    responses: {
      200: {
        description: 'The picker',
        schema: z.object({ pickerId: z.string(), nodeId: z.string(), role: z.literal('picker') }),
      },
    },
  },
  {
    id: 'listWaves',
    method: 'get',
    path: '/picker/v1/nodes/:nodeId/waves',
    tag: 'picker',
    summary: "Open waves of the picker's node",
    description:
      'Planned on each request from the open fulfilments: by pick deadline and zone within the node limits; ambient, chilled, frozen; least SLA slack first; pick path by zone then bin.',
    auth: ['picker'],
    params: nodeParams,
    responses: { 200: { description: 'Waves', schema: wavesResponse }, ...errors(403, 404) },
  },
  {
    id: 'claimWave',
    method: 'post',
    path: '/picker/v1/nodes/:nodeId/claims',
    tag: 'picker',
    summary: 'Claim a wave: its zone of each fulfilment becomes yours (picking starts)',
    auth: ['picker'],
    params: nodeParams,
    body: claimBody,
    idempotencyKey: true,
    responses: {
      200: { description: 'Claimed (some may be refused)', schema: claimResponse },
      ...errors(400, 403, 404, 409),
    },
  },
  {
    id: 'listTasks',
    method: 'get',
    path: '/picker/v1/nodes/:nodeId/tasks',
    tag: 'picker',
    summary: 'My fulfilments and my pick path',
    auth: ['picker'],
    params: nodeParams,
    responses: { 200: { description: 'Tasks', schema: tasksResponse }, ...errors(403) },
  },
  {
    id: 'getTask',
    method: 'get',
    path: '/picker/v1/fulfilments/:fulfilmentId',
    tag: 'picker',
    summary: 'One fulfilment as a picker sees it',
    auth: ['picker'],
    params: fulfilmentParams,
    responses: { 200: { description: 'Task', schema: taskSchema }, ...errors(403, 404) },
  },
  line('start', 'startLine', 'At the bin of a line', keyOnlyBody),
  line(
    'confirm',
    'confirmPick',
    'Confirm a scan: SKU, lot and quantity taken from that lot',
    confirmBody,
    'The lot must be one allocated to the line (FEFO); at most what is left of it.',
  ),
  line(
    'short',
    'shortPick',
    'Short-pick: what was confirmed stays, the rest is re-allocated',
    shortBody,
    'The missing units are released and taken off hand (count or write-off), then re-allocated from another lot or node as a new line; if none has it, the customer is refunded.',
  ),
  line('skip', 'skipLine', 'Come back later: the line moves to the end of its zone', keyOnlyBody),
  line(
    'substitute',
    'proposeSubstitute',
    'Short the line and propose a substitute',
    substituteBody,
    "The customer's policy decides: refund → refused and refunded; specific → accepted only for that item (another item: 409); best match → pending for the customer, standing when they do not answer within the order's decision window (default 3 min). Accepted substitutes are allocated as a new line.",
  ),
  {
    id: 'stageTotes',
    method: 'post',
    path: '/picker/v1/fulfilments/:fulfilmentId/stage',
    tag: 'picker',
    summary: 'Scan every tote into a staging bay (fulfilment packed)',
    auth: ['picker'],
    params: fulfilmentParams,
    body: stageBody,
    idempotencyKey: true,
    responses: { 200: { description: 'Staged', schema: actionResponse }, ...errors(400, 403, 404, 409) },
  },
  {
    id: 'handOver',
    method: 'post',
    path: '/picker/v1/fulfilments/:fulfilmentId/hand-over',
    tag: 'picker',
    summary: 'Hand staged totes to a courier (dispatched; stock leaves the node)',
    auth: ['picker'],
    params: fulfilmentParams,
    body: handOverBody,
    idempotencyKey: true,
    responses: { 200: { description: 'Handed over', schema: actionResponse }, ...errors(400, 403, 404, 409) },
  },
  {
    id: 'setSubstitutionPolicy',
    method: 'put',
    path: '/v1/orders/:orderId/substitution-policy',
    tag: 'substitutions',
    summary: "Set the customer's substitution policy (replaces the previous one)",
    auth: ['integrator', 'ops'],
    params: orderParams,
    body: policyBody,
    responses: {
      200: {
        description: 'Stored',
        schema: z.object({
          orderId: z.string(),
          policies: z.array(z.object({ lineId: z.string(), policy: policyName, sku: z.string().nullable() })),
          decisionWindowSeconds: z.number().int().nullable(),
        }),
      },
      ...errors(400),
      404: { description: 'Unknown order' },
    },
  },
  {
    id: 'listSubstitutions',
    method: 'get',
    path: '/v1/orders/:orderId/substitutions',
    tag: 'substitutions',
    summary: 'Policies and substitutes proposed for an order',
    auth: ['integrator', 'ops'],
    params: orderParams,
    responses: { 200: { description: 'Proposals', schema: substitutionsResponse } },
  },
  {
    id: 'decideSubstitution',
    method: 'post',
    path: '/v1/orders/:orderId/substitutions/:lineId/decision',
    tag: 'substitutions',
    summary: 'The customer accepts or refuses a proposed substitute',
    auth: ['integrator', 'ops'],
    params: orderLineParams,
    body: decisionBody,
    idempotencyKey: true,
    responses: { 200: { description: 'Decided', schema: decisionResponse }, ...errors(400, 404, 409) },
  },
];
