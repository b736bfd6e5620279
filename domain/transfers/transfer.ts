// Transfers (issue 14): stock moved from a DC or store to a front warehouse, run as a Temporal
// workflow (workflows/transfer.ts): planned → picked at the source → shipped in a van → received
// at the destination through goods receiving (db/receiving.ts) → done; cancelled before shipping.
// This module holds the request bodies, the state machine and the pure checks; the database side
// is db/transfers.ts.
import { z } from 'zod';
import { masterId, text } from '../masterdata/schemas';
import type { ReceiptBody } from '../receiving/receipt';
import { instant } from '../receiving/receipt';
import type { FieldProblem } from './status';

/** One planned line: what moves, how many, and (optionally) the destination bin it is put away in. */
export const transferLine = z
  .object({
    sku: masterId,
    quantity: z.number().int().min(1).max(1_000_000),
    bin: masterId.optional().describe('Destination bin; default: the first bin of the SKU zone on the pick path'),
  })
  .strict();
export type TransferLine = z.infer<typeof transferLine>;

/** A replenishment suggestion (forecast run × destination node × SKU) to turn into a transfer. */
export const suggestionRef = z.object({ runId: masterId, nodeId: masterId, sku: masterId }).strict();
export type SuggestionRef = z.infer<typeof suggestionRef>;

/** POST /v1/transfers: explicit lines, or a replenishment suggestion. */
export const transferBody = z
  .object({
    transferId: masterId,
    fromNodeId: masterId.describe('The sending node (DC or store); it must hold the SKUs'),
    toNodeId: masterId
      .optional()
      .describe('The receiving front warehouse; with fromSuggestion it defaults to the suggestion node'),
    lines: z.array(transferLine).min(1).max(200).optional(),
    fromSuggestion: suggestionRef.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.lines === undefined) === (b.fromSuggestion === undefined))
      ctx.addIssue({ code: 'custom', path: ['lines'], message: 'give exactly one of lines and fromSuggestion' });
    if (b.fromSuggestion === undefined && b.toNodeId === undefined)
      ctx.addIssue({ code: 'custom', path: ['toNodeId'], message: 'required with explicit lines' });
    if (b.fromSuggestion && b.toNodeId !== undefined && b.toNodeId !== b.fromSuggestion.nodeId)
      ctx.addIssue({ code: 'custom', path: ['toNodeId'], message: 'must be the suggestion node' });
    const to = b.toNodeId ?? b.fromSuggestion?.nodeId;
    if (to === b.fromNodeId)
      ctx.addIssue({ code: 'custom', path: ['toNodeId'], message: 'must differ from fromNodeId' });
    const skus = (b.lines ?? []).map((l) => l.sku);
    skus.forEach((s, i) => {
      if (skus.indexOf(s) !== i)
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: `SKU ${s} appears twice` });
    });
  });
export type TransferBody = z.infer<typeof transferBody>;

/** POST /v1/transfers/{id}/picked: the lots the units were taken from. */
export const pickedBody = z
  .object({
    picks: z
      .array(
        z
          .object({
            lotId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,129}$/, 'must be a lot id'),
            qty: z.number().int().min(1).max(1_000_000),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict()
  .superRefine((b, ctx) => {
    const ids = b.picks.map((p) => p.lotId);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i)
        ctx.addIssue({ code: 'custom', path: ['picks', i, 'lotId'], message: `lot ${id} appears twice` });
    });
  });
export type PickedBody = z.infer<typeof pickedBody>;

/** POST /v1/transfers/{id}/shipped: the van (its telemetry decides chilled and frozen lines at receipt). */
export const shippedBody = z.object({ vanAssetId: masterId }).strict();
export type ShippedBody = z.infer<typeof shippedBody>;

/** POST /v1/transfers/{id}/received: when it was unloaded (default: now). */
export const receivedBody = z.object({ receivedAt: instant.optional() }).strict();
export type ReceivedBody = z.infer<typeof receivedBody>;

/** POST /v1/transfers/{id}/cancel. */
export const cancelBody = z.object({ reason: text(200).optional() }).strict();
export type CancelBody = z.infer<typeof cancelBody>;

export { TRANSFER_STATUSES, transition } from './status';
export type { FieldProblem, StepResult, TransferAction, TransferStatus } from './status';

/** What the database knows of a picked lot. */
export interface LotFacts {
  lotId: string;
  nodeId: string;
  sku: string;
  status: string;
  available: number;
}

/** Picks that do not fit the plan: unknown lots, another node or SKU, too few units, or per-SKU totals that differ from the plan. */
export function pickProblems(
  sourceNodeId: string,
  plan: readonly { sku: string; quantity: number }[],
  picks: PickedBody['picks'],
  lots: ReadonlyMap<string, LotFacts>,
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const planned = new Map(plan.map((l) => [l.sku, l.quantity]));
  const picked = new Map<string, number>();
  picks.forEach((p, i) => {
    const lot = lots.get(p.lotId);
    if (!lot) return void out.push({ path: `picks.${i}.lotId`, message: `unknown lot ${p.lotId}` });
    if (lot.nodeId !== sourceNodeId)
      return void out.push({
        path: `picks.${i}.lotId`,
        message: `lot ${p.lotId} is at ${lot.nodeId}, not the source ${sourceNodeId}`,
      });
    if (!planned.has(lot.sku))
      return void out.push({
        path: `picks.${i}.lotId`,
        message: `lot ${p.lotId} holds ${lot.sku}, which the transfer does not move`,
      });
    if (lot.status !== 'available')
      return void out.push({ path: `picks.${i}.lotId`, message: `lot ${p.lotId} is ${lot.status}` });
    if (lot.available < p.qty)
      return void out.push({
        path: `picks.${i}.qty`,
        message: `lot ${p.lotId} has ${lot.available} units available, not ${p.qty}`,
      });
    picked.set(lot.sku, (picked.get(lot.sku) ?? 0) + p.qty);
  });
  if (out.length) return out;
  for (const [sku, qty] of planned) {
    const got = picked.get(sku) ?? 0;
    if (got !== qty) out.push({ path: 'picks', message: `${got} units of ${sku} picked, the transfer plans ${qty}` });
  }
  return out;
}

/** A unit batch in transit: the source lot it left and the destination bin it goes to. */
export interface InTransit {
  lotId: string;
  sku: string;
  qty: number;
  lotCode: string;
  expiresOn: string;
  destBin: string;
}

/** Receipt id of a transfer's arrival (one per transfer, so a retried receipt can never add lots twice). */
export const transferReceiptId = (transferId: string) => `transfer-${transferId}`;

/** The goods receipt of a transfer's arrival: one line per source lot, the van deciding chilled and frozen lines. */
export function transferReceipt(
  t: { transferId: string; fromNodeId: string; toNodeId: string; vanAssetId: string },
  picks: readonly InTransit[],
  receivedAt: string,
): ReceiptBody {
  return {
    receiptId: transferReceiptId(t.transferId),
    kind: 'transfer',
    nodeId: t.toNodeId,
    sourceNodeId: t.fromNodeId,
    receivedAt,
    vanAssetId: t.vanAssetId,
    lines: picks.map((p) => ({
      sku: p.sku,
      quantity: p.qty,
      lotCode: p.lotCode,
      expiresOn: p.expiresOn,
      bin: p.destBin,
    })),
  };
}

/** Top-level fields of a stored transfer body that differ from a repeated one (for the 409). */
export function differingTransferFields(
  stored: TransferBody,
  next: TransferBody,
  same: (a: unknown, b: unknown) => boolean,
): string[] {
  const keys = new Set([...Object.keys(stored), ...Object.keys(next)]) as Set<keyof TransferBody>;
  return [...keys].sort().filter((k) => !same(stored[k] ?? null, next[k] ?? null));
}
