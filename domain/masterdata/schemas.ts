// The shapes of master data a grocer brings, validated the same way whether they come through
// the API (PUT bodies) or the bulk import (CSV rows mapped to the same objects). Codes come from
// the governed code tables (codes.ts); references to other records (a sensor's asset, a SKU's
// custom band) need the database and are checked in db/masterdata.ts.
import { z } from 'zod';
import { idSchema } from '../ids';
import { hasLoneSurrogate } from '../text';
import { ASSET_KINDS, CATEGORIES, NODE_KINDS, WEEKDAYS, ZONES } from './codes';

const CONTROL = /\p{Cc}/u;

/** Free text: bounded, no control characters (NUL included), no lone surrogates. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine(
      (s) => !CONTROL.test(s) && !hasLoneSurrogate(s),
      'must not contain control characters (NUL included) or unpaired surrogates',
    );

/** An id in a path or a reference: what URLs, topics and CSV cells carry without escaping. */
export const masterId = idSchema();

/** A band id: a built-in rule profile or a custom one (existence is checked against the database). */
export const bandId = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/i, 'must be a rule profile id');

const zone = z.enum(ZONES as unknown as [string, ...string[]]);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'must be HH:MM (00:00-24:00)');

/** One opening window of a day; close after open (a night shift is two windows on two days). */
export const openingWindow = z
  .object({ open: hhmm, close: hhmm })
  .strict()
  .refine((w) => w.open < w.close, { message: 'close must be after open', path: ['close'] });

/** Opening hours per weekday; a day not listed is closed. */
export const openingHours = z.partialRecord(z.enum(WEEKDAYS), z.array(openingWindow).max(4));

/** Slot capacity: orders per slot key ('instant', 'scheduled', '*' or a slot key; see domain/orders/slots.ts). */
export const slotCapacity = z.record(
  z.string().regex(/^[A-Za-z0-9*:_-]{1,40}$/, 'must be a slot key, a slot kind or *'),
  z.number().int().min(0).max(100_000),
);

const uniqueList = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .min(1)
    .refine((xs) => new Set(xs).size === xs.length, 'must not repeat an entry');

/** PUT /v1/nodes/{nodeId}. */
export const nodeBody = z
  .object({
    kind: z.enum(NODE_KINDS),
    name: text(200),
    location: z
      .object({ lat: finite.pipe(z.number().min(-90).max(90)), lng: finite.pipe(z.number().min(-180).max(180)) })
      .strict(),
    serviceRadiusKm: z.number().positive().max(500),
    zones: uniqueList(zone),
    slotCapacity: slotCapacity.default({}),
    openingHours: openingHours.default({}),
  })
  .strict();
export type NodeBody = z.infer<typeof nodeBody>;

/** GS1 check digit of a GTIN-8/12/13/14 (the last digit). */
export function gtinCheckDigitOk(gtin: string): boolean {
  const digits = [...gtin].map(Number);
  const check = digits.pop()!;
  const sum = digits.reverse().reduce((s, d, i) => s + d * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === check;
}

const gtin = z
  .string()
  .regex(/^(\d{8}|\d{12}|\d{13}|\d{14})$/, 'must be 8, 12, 13 or 14 digits')
  .refine(gtinCheckDigitOk, 'check digit does not match');

/** PUT /v1/skus/{sku}. */
export const skuBody = z
  .object({
    name: text(200),
    category: z.enum(CATEGORIES as [string, ...string[]]),
    gtin: gtin.nullable().default(null),
    zone,
    band: bandId,
    shelfLifeDays: z.number().int().min(1).max(3650),
    minShelfLifeDays: z.number().int().min(0).max(3650),
    perishable: z.boolean(),
    unitPriceCents: z.number().int().min(0).max(100_000_000),
  })
  .strict()
  .refine((s) => s.minShelfLifeDays <= s.shelfLifeDays, {
    message: 'must not exceed shelfLifeDays',
    path: ['minShelfLifeDays'],
  });
export type SkuBody = z.infer<typeof skuBody>;

/** PUT /v1/nodes/{nodeId}/bins/{bin}. */
export const binBody = z.object({ zone, pickSequence: z.number().int().min(0).max(1_000_000) }).strict();
export type BinBody = z.infer<typeof binBody>;

/** PUT /v1/assets/{assetId}. */
export const assetBody = z.object({ nodeId: masterId, kind: z.enum(ASSET_KINDS), band: bandId }).strict();
export type AssetBody = z.infer<typeof assetBody>;

/** PUT /v1/sensors/{sensorId}; the node is the asset's. */
export const sensorBody = z.object({ assetId: masterId, active: z.boolean().default(true) }).strict();
export type SensorBody = z.infer<typeof sensorBody>;

/** The master data entities, as the audit names them. */
export const ENTITIES = ['node', 'sku', 'bin', 'asset', 'sensor'] as const;
export type Entity = (typeof ENTITIES)[number];

/** Bodies by entity (the import maps CSV rows to these). */
export const BODY_SCHEMAS = {
  node: nodeBody,
  sku: skuBody,
  bin: binBody,
  asset: assetBody,
  sensor: sensorBody,
} as const;

/** A field a referenced record must exist for, and why it does not (answered as a 4xx naming the field). */
export interface ReferenceProblem {
  path: string;
  message: string;
}

/** Stable JSON (sorted keys) so two equal records compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** True when two records hold the same data. */
export function sameRecord(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
