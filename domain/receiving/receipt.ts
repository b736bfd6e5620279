// Goods receiving (issue 14): the body of a receipt (a supplier delivery or a transfer arriving
// at a node), and the pure decisions on each line — its expiry (given, or production date plus
// the SKU's shelf life), whether its receiving temperature is inside the SKU's band, and whether
// enough shelf life remains at delivery. The database side (references, van readings, lots,
// events) is db/receiving.ts.
import { z } from 'zod';
import type { Band } from '../coldchain/bands';
import { bandPosition } from '../coldchain/bands';
import { masterId, text } from '../masterdata/schemas';

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date (YYYY-MM-DD) that exists, between 2000 and 2100 (no far dates). */
export const calendarDate = z
  .string()
  .regex(ISO_DATE, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s && s >= '2000-01-01' && s <= '2100-12-31';
  }, 'must be a real date between 2000-01-01 and 2100-12-31');

/** An instant with an offset (RFC 3339), between 2000 and 2100. */
export const instant = z.iso.datetime({ offset: true }).refine((s) => {
  const t = Date.parse(s);
  return Number.isFinite(t) && t >= Date.UTC(2000, 0, 1) && t < Date.UTC(2101, 0, 1);
}, 'must be between 2000 and 2100');

/** A probe reading in °C: what a food thermometer can show. */
const probeTempC = z.number().min(-60).max(80);

/** One delivered line: what arrived, its lot, its dates, where it is put away, and its temperature. */
export const receiptLine = z
  .object({
    sku: masterId,
    quantity: z.number().int().min(1).max(1_000_000),
    lotCode: text(64).describe("The supplier's lot code (traceability lot code)"),
    expiresOn: calendarDate.optional().describe('Use by / best before; or give producedOn'),
    producedOn: calendarDate.optional().describe('Production date: expiry = producedOn + the SKU shelf life'),
    bin: masterId,
    probeTempC: probeTempC
      .optional()
      .describe('Receiving probe reading; chilled and frozen lines need it unless the receipt names vanAssetId'),
  })
  .strict()
  .superRefine((l, ctx) => {
    if ((l.expiresOn === undefined) === (l.producedOn === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['expiresOn'], message: 'give exactly one of expiresOn and producedOn' });
    }
  });
export type ReceiptLine = z.infer<typeof receiptLine>;

/** POST /v1/receipts. */
export const receiptBody = z
  .object({
    receiptId: masterId,
    kind: z.enum(['supplier', 'transfer']),
    nodeId: masterId.describe('Where the goods arrive'),
    supplierId: masterId.optional().describe('The supplier (a supplier delivery)'),
    sourceNodeId: masterId.optional().describe('The sending node (a transfer)'),
    receivedAt: instant,
    vanAssetId: masterId
      .optional()
      .describe(
        'The delivering van: its readings over the hour before receivedAt give the temperature of lines without a probe reading',
      ),
    lines: z.array(receiptLine).min(1).max(1000),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.kind === 'supplier' && r.supplierId === undefined)
      ctx.addIssue({ code: 'custom', path: ['supplierId'], message: 'a supplier delivery names its supplier' });
    if (r.kind === 'transfer' && r.sourceNodeId === undefined)
      ctx.addIssue({ code: 'custom', path: ['sourceNodeId'], message: 'a transfer names its source node' });
    if (r.kind === 'transfer' && r.sourceNodeId === r.nodeId)
      ctx.addIssue({ code: 'custom', path: ['sourceNodeId'], message: 'must differ from nodeId' });
  });
export type ReceiptBody = z.infer<typeof receiptBody>;

/** Expiry of a line: given, or production date + shelf life (whole days, rounded down). */
export function lineExpiry(line: Pick<ReceiptLine, 'expiresOn' | 'producedOn'>, shelfLifeDays: number): string {
  if (line.expiresOn !== undefined) return line.expiresOn;
  const produced = Date.parse(`${line.producedOn!}T00:00:00Z`);
  return new Date(produced + Math.floor(shelfLifeDays) * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from the receipt's (UTC) date to the expiry date; negative once expired. */
export function remainingShelfLifeDays(expiresOn: string, receivedAt: string): number {
  const received = new Date(Date.parse(receivedAt)).toISOString().slice(0, 10);
  return Math.round((Date.parse(`${expiresOn}T00:00:00Z`) - Date.parse(`${received}T00:00:00Z`)) / DAY_MS);
}

/** The temperature a line was received at: a probe reading, or the van's extremes over the last hour. */
export type ReceivingTemperature =
  | { source: 'probe'; tempC: number }
  | { source: 'van'; assetId: string; minC: number; maxC: number; readings: number }
  | { source: 'none'; why: string };

/** What happens to a line: accepted (a new lot), or refused with the reason recorded. */
export type LineDecision = { status: 'accepted' } | { status: 'refused'; reason: string };

/** The facts a line is decided on. */
export interface LineFacts {
  zone: string;
  band: Band;
  bandId: string;
  temperature: ReceivingTemperature;
  expiresOn: string;
  receivedAt: string;
  minShelfLifeDays: number;
}

const ZONES_NEEDING_TEMPERATURE: readonly string[] = ['chilled', 'frozen'];

function temperatureProblem(f: LineFacts): string | null {
  if (!ZONES_NEEDING_TEMPERATURE.includes(f.zone)) return null;
  const t = f.temperature;
  if (t.source === 'none') return `no receiving temperature: ${t.why}`;
  const readings: [string, number][] =
    t.source === 'probe'
      ? [['probe', t.tempC]]
      : [
          ['van minimum', t.minC],
          ['van maximum', t.maxC],
        ];
  for (const [what, c] of readings) {
    const pos = bandPosition(c, f.band);
    if (pos !== 'in')
      return `${what} ${c} °C is ${pos} the ${f.bandId} band (${f.band.lowC ?? '-∞'}..${f.band.highC ?? '+∞'} °C)`;
  }
  return null;
}

/**
 * Accept or refuse one line. Chilled and frozen lines out of their band (or with no temperature
 * at all) are refused, as are lines already expired or with less shelf life left than the SKU's
 * minimum at delivery: refused goods never enter stock.
 */
export function decideLine(f: LineFacts): LineDecision {
  const temp = temperatureProblem(f);
  if (temp) return { status: 'refused', reason: temp };
  const left = remainingShelfLifeDays(f.expiresOn, f.receivedAt);
  if (left < 0) return { status: 'refused', reason: `expired on ${f.expiresOn}` };
  if (left < f.minShelfLifeDays)
    return {
      status: 'refused',
      reason: `${left} days of shelf life left, below the minimum of ${f.minShelfLifeDays} at delivery`,
    };
  return { status: 'accepted' };
}

/** Fields of a stored receipt that differ from a repeated one (for the 409 naming them). */
export function differingFields(
  stored: ReceiptBody,
  next: ReceiptBody,
  same: (a: unknown, b: unknown) => boolean,
): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(stored), ...Object.keys(next)]) as Set<keyof ReceiptBody>;
  for (const k of [...keys].sort()) {
    if (k === 'lines') continue;
    if (!same(stored[k] ?? null, next[k] ?? null)) out.push(k);
  }
  const n = Math.max(stored.lines.length, next.lines.length);
  for (let i = 0; i < n; i++) {
    const a = stored.lines[i];
    const b = next.lines[i];
    if (!a || !b) {
      out.push(`lines.${i}`);
      continue;
    }
    const lineKeys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof ReceiptLine>;
    for (const k of [...lineKeys].sort()) if (!same(a[k] ?? null, b[k] ?? null)) out.push(`lines.${i}.${k}`);
  }
  return out;
}
