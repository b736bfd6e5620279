// The bulk import's files (docs/network.md): CSV rows with a header, mapped to the same bodies
// the API takes and validated by the same schemas, plus the cross-file references (a bin's node,
// an asset's node, a sensor's asset, a band) checked against the set being imported and what
// the database already holds. Pure: the caller reads the files and the database.
import { TextDecoder } from 'node:util';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { calendarDate, instant, receiptLine } from '../receiving/receipt';
import type { ReceiptLine } from '../receiving/receipt';
import { isBuiltInBand, WEEKDAYS } from './codes';
import type { AssetBody, BinBody, NodeBody, SensorBody, SkuBody } from './schemas';
import { assetBody, binBody, masterId, nodeBody, sensorBody, skuBody } from './schemas';

/** One thing wrong with an import: which file, line (1 = the header) and column, and why. */
export interface ImportProblem {
  file: string;
  line: number;
  column: string;
  reason: string;
}

/** Rows of the files, keyed and validated. */
export interface ParsedRows {
  nodes: { line: number; nodeId: string; body: NodeBody }[];
  skus: { line: number; sku: string; body: SkuBody }[];
  bins: { line: number; nodeId: string; bin: string; body: BinBody }[];
  assets: { line: number; assetId: string; body: AssetBody }[];
  sensors: { line: number; sensorId: string; body: SensorBody }[];
  /** Lots arriving through receiving: a receipt per node, supplier and time of the file. */
  lots: { line: number; body: LotRow }[];
  /** Past sales for demand history, one per sale line id. */
  sales: { line: number; lineId: string; body: SaleRow }[];
}
export type FileKind = keyof ParsedRows;

/** The files, in the order they are loaded (each references only files before it). */
export const IMPORT_FILES: readonly FileKind[] = ['nodes', 'skus', 'bins', 'assets', 'sensors', 'lots', 'sales'];

/** A row of lots.csv: a receipt line plus the receipt it belongs to (node, supplier, time). */
export const lotRow = z
  .object({ nodeId: masterId, supplierId: masterId, receivedAt: instant, line: receiptLine })
  .strict();
export type LotRow = { nodeId: string; supplierId: string; receivedAt: string; line: ReceiptLine };

/** A row of sales.csv: units of a SKU sold at a node at a time. */
export const saleRow = z
  .object({ nodeId: masterId, sku: masterId, soldAt: instant, quantity: z.number().int().min(1).max(1_000_000) })
  .strict();
export type SaleRow = z.infer<typeof saleRow>;

/** The day a sale's date alone (YYYY-MM-DD) stands for: its start, UTC. */
const dayOrInstant = (s: string): string => (calendarDate.safeParse(s).success ? `${s}T00:00:00Z` : s);

type Cells = Readonly<Record<string, string>>;
interface FileSpec {
  /** Columns, required ones first; `optional` may be left out of the header or empty. */
  required: readonly string[];
  optional: readonly string[];
  /** Body field path (zod issue path, dotted) → the column that carries it. */
  columnOf: (path: string) => string;
  toInput: (c: Cells) => Record<string, unknown>;
  schema: z.ZodType;
  keys: readonly string[];
}

// ---- cells ----------------------------------------------------------------------------------

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** A number cell: plain decimal notation only (no hex, exponents or blanks); otherwise the text, for the schema to refuse. */
const num = (s: string): unknown => (NUMBER.test(s) && s.length <= 30 ? Number(s) : s);
const BOOL: Record<string, boolean> = { true: true, false: false, yes: true, no: false, '1': true, '0': false };
const bool = (s: string): unknown => BOOL[s.toLowerCase()] ?? s;
const list = (s: string): string[] => (s === '' ? [] : s.split(';').map((x) => x.trim()));

/** `instant=40;scheduled=120` → { instant: 40, scheduled: 120 }; a malformed pair is kept for the schema to refuse. */
function pairs(s: string, value: (v: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const part of list(s)) {
    const eq = part.indexOf('=');
    if (eq < 1) out[part === '' ? '(empty)' : part] = 'must be key=value';
    else out[part.slice(0, eq).trim()] = value(part.slice(eq + 1).trim());
  }
  return { ...out };
}

const DAY_RANGE = /^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?$|^\*$/;

/** `mon-fri=07:00-22:00;sat=08:00-20:00` (or `*=…` for every day) → opening hours; several windows of a day: `07:00-12:00,14:00-20:00`. */
export function openingHoursCell(s: string): unknown {
  const out: Record<string, { open: string; close: string }[]> = {};
  for (const part of list(s)) {
    const eq = part.indexOf('=');
    const days = eq < 0 ? '' : part.slice(0, eq).trim();
    const m = DAY_RANGE.exec(days);
    if (!m) return `${part}: must be day=HH:MM-HH:MM (day: mon..sun, a range like mon-fri, or *)`;
    const from = m[1] ? WEEKDAYS.indexOf(m[1] as (typeof WEEKDAYS)[number]) : 0;
    const to = m[1] ? WEEKDAYS.indexOf((m[2] ?? m[1]) as (typeof WEEKDAYS)[number]) : 6;
    if (to < from) return `${part}: a day range must run forward (mon-fri)`;
    const windows = part
      .slice(eq + 1)
      .split(',')
      .map((w) => {
        const [open = '', close = ''] = w.trim().split('-');
        return { open, close };
      });
    for (let d = from; d <= to; d++) out[WEEKDAYS[d]!] = [...(out[WEEKDAYS[d]!] ?? []), ...windows];
  }
  return out;
}

const firstSegment = (path: string) => path.split('.')[0] ?? path;

const SPECS: Readonly<Record<FileKind, FileSpec>> = {
  nodes: {
    required: ['node_id', 'kind', 'name', 'lat', 'lng', 'service_radius_km', 'zones'],
    optional: ['slot_capacity', 'opening_hours'],
    columnOf: (p) =>
      ({
        kind: 'kind',
        name: 'name',
        location: p.endsWith('lng') ? 'lng' : 'lat',
        serviceRadiusKm: 'service_radius_km',
        zones: 'zones',
        slotCapacity: 'slot_capacity',
        openingHours: 'opening_hours',
      })[firstSegment(p)] ?? p,
    toInput: (c) => ({
      kind: c.kind,
      name: c.name,
      location: { lat: num(c.lat!), lng: num(c.lng!) },
      serviceRadiusKm: num(c.service_radius_km!),
      zones: list(c.zones!),
      ...(c.slot_capacity ? { slotCapacity: pairs(c.slot_capacity, num) } : {}),
      ...(c.opening_hours ? { openingHours: openingHoursCell(c.opening_hours) } : {}),
    }),
    schema: nodeBody,
    keys: ['node_id'],
  },
  skus: {
    required: [
      'sku',
      'name',
      'category',
      'zone',
      'band',
      'shelf_life_days',
      'min_shelf_life_days',
      'perishable',
      'unit_price_cents',
    ],
    optional: ['gtin'],
    columnOf: (p) =>
      ({
        shelfLifeDays: 'shelf_life_days',
        minShelfLifeDays: 'min_shelf_life_days',
        unitPriceCents: 'unit_price_cents',
      })[firstSegment(p)] ?? firstSegment(p),
    toInput: (c) => ({
      name: c.name,
      category: c.category,
      gtin: c.gtin ? c.gtin : null,
      zone: c.zone,
      band: c.band,
      shelfLifeDays: num(c.shelf_life_days!),
      minShelfLifeDays: num(c.min_shelf_life_days!),
      perishable: bool(c.perishable!),
      unitPriceCents: num(c.unit_price_cents!),
    }),
    schema: skuBody,
    keys: ['sku'],
  },
  bins: {
    required: ['node_id', 'bin', 'zone', 'pick_sequence'],
    optional: [],
    columnOf: (p) => (firstSegment(p) === 'pickSequence' ? 'pick_sequence' : firstSegment(p)),
    toInput: (c) => ({ zone: c.zone, pickSequence: num(c.pick_sequence!) }),
    schema: binBody,
    keys: ['node_id', 'bin'],
  },
  assets: {
    required: ['asset_id', 'node_id', 'kind', 'band'],
    optional: [],
    columnOf: (p) => (firstSegment(p) === 'nodeId' ? 'node_id' : firstSegment(p)),
    toInput: (c) => ({ nodeId: c.node_id, kind: c.kind, band: c.band }),
    schema: assetBody,
    keys: ['asset_id'],
  },
  sensors: {
    required: ['sensor_id', 'asset_id'],
    optional: ['active'],
    columnOf: (p) => (firstSegment(p) === 'assetId' ? 'asset_id' : firstSegment(p)),
    toInput: (c) => ({ assetId: c.asset_id, ...(c.active ? { active: bool(c.active) } : {}) }),
    schema: sensorBody,
    keys: ['sensor_id'],
  },
  lots: {
    required: ['node_id', 'supplier_id', 'received_at', 'sku', 'quantity', 'lot_code', 'bin'],
    optional: ['expires_on', 'produced_on', 'probe_temp_c'],
    columnOf: (p) => {
      const field = p.startsWith('line.') ? p.split('.')[1]! : firstSegment(p);
      return (
        (
          {
            nodeId: 'node_id',
            supplierId: 'supplier_id',
            receivedAt: 'received_at',
            lotCode: 'lot_code',
            expiresOn: 'expires_on',
            producedOn: 'produced_on',
            probeTempC: 'probe_temp_c',
          } as Record<string, string>
        )[field] ?? field
      );
    },
    toInput: (c) => ({
      nodeId: c.node_id,
      supplierId: c.supplier_id,
      receivedAt: c.received_at,
      line: {
        sku: c.sku,
        quantity: num(c.quantity!),
        lotCode: c.lot_code,
        bin: c.bin,
        ...(c.expires_on ? { expiresOn: c.expires_on } : {}),
        ...(c.produced_on ? { producedOn: c.produced_on } : {}),
        ...(c.probe_temp_c ? { probeTempC: num(c.probe_temp_c) } : {}),
      },
    }),
    schema: lotRow,
    keys: ['node_id', 'sku', 'lot_code'],
  },
  sales: {
    required: ['line_id', 'node_id', 'sku', 'sold_at', 'quantity'],
    optional: [],
    columnOf: (p) =>
      (({ nodeId: 'node_id', soldAt: 'sold_at' }) as Record<string, string>)[firstSegment(p)] ?? firstSegment(p),
    toInput: (c) => ({ nodeId: c.node_id, sku: c.sku, soldAt: dayOrInstant(c.sold_at!), quantity: num(c.quantity!) }),
    schema: saleRow,
    keys: ['line_id'],
  },
};

/** The columns of a file, required then optional (for the docs and error messages). */
export function columnsOf(kind: FileKind): { required: readonly string[]; optional: readonly string[] } {
  return { required: SPECS[kind].required, optional: SPECS[kind].optional };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode a file strictly: invalid UTF-8 is a problem on the line it is on, never a silent U+FFFD. */
export function decodeUtf8(file: string, bytes: Uint8Array): { text: string } | { problem: ImportProblem } {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      const slice = bytes.subarray(start, end < 0 ? bytes.length : end);
      try {
        utf8.decode(slice);
      } catch {
        return { problem: { file, line, column: '(line)', reason: 'not valid UTF-8' } };
      }
      if (end < 0) return { problem: { file, line, column: '(file)', reason: 'not valid UTF-8' } };
      start = end + 1;
    }
  }
}

/** Parse and validate one file's text; rows with problems are left out and reported. */
export function parseFile<K extends FileKind>(
  kind: K,
  file: string,
  text: string,
): { rows: ParsedRows[K]; problems: ImportProblem[] } {
  const spec = SPECS[kind];
  const problems: ImportProblem[] = [];
  const report = (line: number, column: string, reason: string) => problems.push({ file, line, column, reason });
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as unknown as typeof records;
  } catch (err) {
    const e = err as { lines?: number; message: string };
    report(e.lines ?? 0, '(file)', `not CSV: ${e.message}`);
    return { rows: [] as unknown as ParsedRows[K], problems };
  }
  const [header, ...body] = records;
  if (!header) {
    report(1, '(header)', `empty file: needs a header row with ${spec.required.join(', ')}`);
    return { rows: [] as unknown as ParsedRows[K], problems };
  }
  const names = header.record.map((h) => h.trim());
  const known = new Set([...spec.required, ...spec.optional]);
  names.forEach((n, i) => {
    if (!known.has(n)) report(1, n || `(column ${i + 1})`, `unknown column (expected ${[...known].join(', ')})`);
    else if (names.indexOf(n) !== i) report(1, n, 'column repeated');
  });
  for (const r of spec.required) if (!names.includes(r)) report(1, r, 'required column missing');
  if (problems.length) return { rows: [] as unknown as ParsedRows[K], problems };

  const rows: unknown[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of body) {
    const line = info.lines;
    if (record.length !== names.length) {
      report(line, '(row)', `has ${record.length} cells, the header ${names.length}`);
      continue;
    }
    const cells = new Map(names.map((n, i) => [n, record[i]!.trim()]));
    const c: Cells = Object.fromEntries([...spec.required, ...spec.optional].map((n) => [n, cells.get(n) ?? '']));
    let ok = true;
    for (const key of spec.keys.filter((k) => k !== 'lot_code')) {
      const id = masterId.safeParse(c[key]);
      if (!id.success) {
        report(line, key, id.error.issues[0]!.message);
        ok = false;
      }
    }
    const parsed = spec.schema.safeParse(spec.toInput(c));
    if (!parsed.success) {
      for (const i of parsed.error.issues) report(line, spec.columnOf(i.path.map(String).join('.')), i.message);
      ok = false;
    }
    if (!ok) continue;
    const key = spec.keys.map((k) => c[k]).join('/');
    const first = seen.get(key);
    if (first !== undefined) {
      report(line, spec.keys.join('+'), `${key} repeats line ${first}`);
      continue;
    }
    seen.set(key, line);
    rows.push(keyed(kind, c, line, parsed.data));
  }
  return { rows: rows as ParsedRows[K], problems };
}

function keyed(kind: FileKind, c: Cells, line: number, body: unknown): unknown {
  switch (kind) {
    case 'nodes':
      return { line, nodeId: c.node_id, body };
    case 'skus':
      return { line, sku: c.sku, body };
    case 'bins':
      return { line, nodeId: c.node_id, bin: c.bin, body };
    case 'assets':
      return { line, assetId: c.asset_id, body };
    case 'sensors':
      return { line, sensorId: c.sensor_id, body };
    case 'lots':
      return { line, body };
    case 'sales':
      return { line, lineId: c.line_id, body };
  }
}

/** What the database already holds that rows may reference. */
export interface KnownInDb {
  /** Node id → the zones it holds. */
  nodeZones: ReadonlyMap<string, readonly string[]>;
  assets: ReadonlySet<string>;
  customBands: ReadonlySet<string>;
  /** SKU → its zone. */
  skuZones: ReadonlyMap<string, string>;
  /** `nodeId/bin` → the bin's zone. */
  binZones: ReadonlyMap<string, string>;
}

/** The ids rows reference, for the caller to look up in the database. */
export function referencedIds(rows: ParsedRows): {
  nodes: string[];
  assets: string[];
  bands: string[];
  skus: string[];
  bins: { nodeId: string; bin: string }[];
} {
  return {
    nodes: [
      ...new Set([
        ...rows.bins.map((b) => b.nodeId),
        ...rows.assets.map((a) => a.body.nodeId),
        ...rows.lots.map((l) => l.body.nodeId),
        ...rows.sales.map((s) => s.body.nodeId),
      ]),
    ],
    skus: [...new Set([...rows.lots.map((l) => l.body.line.sku), ...rows.sales.map((s) => s.body.sku)])],
    bins: [
      ...new Map(
        rows.lots.map((l) => [`${l.body.nodeId}/${l.body.line.bin}`, { nodeId: l.body.nodeId, bin: l.body.line.bin }]),
      ).values(),
    ],
    assets: [...new Set(rows.sensors.map((s) => s.body.assetId))],
    bands: [...new Set([...rows.skus.map((s) => s.body.band), ...rows.assets.map((a) => a.body.band)])].filter(
      (b) => !isBuiltInBand(b),
    ),
  };
}

/** Cross-file references: what the files define wins over what the database holds. */
export function referenceProblems(
  rows: ParsedRows,
  db: KnownInDb,
  fileOf: (kind: FileKind) => string,
): ImportProblem[] {
  const out: ImportProblem[] = [];
  const zonesOf = new Map<string, readonly string[]>([
    ...db.nodeZones,
    ...rows.nodes.map((n) => [n.nodeId, n.body.zones] as const),
  ]);
  const assets = new Set([...db.assets, ...rows.assets.map((a) => a.assetId)]);
  const bandOk = (b: string) => isBuiltInBand(b) || db.customBands.has(b);
  for (const s of rows.skus)
    if (!bandOk(s.body.band))
      out.push({
        file: fileOf('skus'),
        line: s.line,
        column: 'band',
        reason: `unknown band ${s.body.band} (no such rule profile)`,
      });
  for (const b of rows.bins) {
    const zones = zonesOf.get(b.nodeId);
    if (!zones) out.push({ file: fileOf('bins'), line: b.line, column: 'node_id', reason: `unknown node ${b.nodeId}` });
    else if (!zones.includes(b.body.zone))
      out.push({
        file: fileOf('bins'),
        line: b.line,
        column: 'zone',
        reason: `node ${b.nodeId} does not hold ${b.body.zone} (it holds ${zones.join(', ')})`,
      });
  }
  for (const a of rows.assets) {
    if (!zonesOf.has(a.body.nodeId))
      out.push({ file: fileOf('assets'), line: a.line, column: 'node_id', reason: `unknown node ${a.body.nodeId}` });
    if (!bandOk(a.body.band))
      out.push({
        file: fileOf('assets'),
        line: a.line,
        column: 'band',
        reason: `unknown band ${a.body.band} (no such rule profile)`,
      });
  }
  for (const s of rows.sensors)
    if (!assets.has(s.body.assetId))
      out.push({
        file: fileOf('sensors'),
        line: s.line,
        column: 'asset_id',
        reason: `unknown asset ${s.body.assetId}`,
      });
  out.push(...stockProblems(rows, db, zonesOf, fileOf));
  return out;
}

/** References of lots.csv (node, SKU, bin in the SKU's zone, a temperature for chilled and frozen lines) and sales.csv (node, SKU). */
function stockProblems(
  rows: ParsedRows,
  db: KnownInDb,
  zonesOf: ReadonlyMap<string, readonly string[]>,
  fileOf: (kind: FileKind) => string,
): ImportProblem[] {
  const out: ImportProblem[] = [];
  const skuZones = new Map<string, string>([...db.skuZones, ...rows.skus.map((s) => [s.sku, s.body.zone] as const)]);
  const binZones = new Map<string, string>([
    ...db.binZones,
    ...rows.bins.map((b) => [`${b.nodeId}/${b.bin}`, b.body.zone] as const),
  ]);
  for (const { line, body } of rows.lots) {
    const at = (column: string, reason: string) => out.push({ file: fileOf('lots'), line, column, reason });
    const skuZone = skuZones.get(body.line.sku);
    const binZone = binZones.get(`${body.nodeId}/${body.line.bin}`);
    if (!zonesOf.has(body.nodeId)) at('node_id', `unknown node ${body.nodeId}`);
    if (skuZone === undefined) at('sku', `unknown SKU ${body.line.sku}`);
    if (binZone === undefined) at('bin', `unknown bin ${body.line.bin} at node ${body.nodeId}`);
    else if (skuZone !== undefined && binZone !== skuZone)
      at('bin', `bin ${body.line.bin} is ${binZone}, SKU ${body.line.sku} is ${skuZone}`);
    if (skuZone !== undefined && skuZone !== 'ambient' && body.line.probeTempC === undefined)
      at('probe_temp_c', `a ${skuZone} line needs a receiving temperature`);
  }
  for (const { line, body } of rows.sales) {
    if (!zonesOf.has(body.nodeId))
      out.push({ file: fileOf('sales'), line, column: 'node_id', reason: `unknown node ${body.nodeId}` });
    if (!skuZones.has(body.sku))
      out.push({ file: fileOf('sales'), line, column: 'sku', reason: `unknown SKU ${body.sku}` });
  }
  return out;
}

/** The receipts of lots.csv: one per node, supplier and time, in the file's order; ids from the file's digest, so a re-run repeats them. */
export function lotReceipts(
  rows: ParsedRows['lots'],
  fileDigest: string,
): { receiptId: string; nodeId: string; supplierId: string; receivedAt: string; rows: ParsedRows['lots'] }[] {
  const groups = new Map<string, ParsedRows['lots']>();
  for (const r of rows) {
    const key = JSON.stringify([r.body.nodeId, r.body.supplierId, Date.parse(r.body.receivedAt)]);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((g, i) => ({
    receiptId: `lots-${fileDigest.slice(0, 16)}-${i + 1}`,
    nodeId: g[0]!.body.nodeId,
    supplierId: g[0]!.body.supplierId,
    receivedAt: g[0]!.body.receivedAt,
    rows: g,
  }));
}
