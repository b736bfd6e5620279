// The demo city as a tenant like any other (issue 14): the generated city is written out as the
// bulk import's CSV files (docs/network.md) and loaded by `runImport`, so its nodes, catalogue,
// bins and cold-chain equipment go through the audited master data upserts, and its daily lots
// arrive through goods receiving (one receipt per node per day, chilled and frozen lines with
// a probe reading inside their band). No seed code writes these tables for the demo.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileById } from '../domain/coldchain/bands';
import { epochDayToIsoDate, isoDateToEpochDay } from '../domain/orders';
import { CATEGORIES } from './catalogue';
import type { Sku, StockLot } from '../domain/orders';
import type { City } from './city';
import type { Db } from '../db/pool';
import { bandOf, prefixCity, sensorNetworkOf } from './seed';
import { runImport } from '../scripts/import';
import type { ImportReport } from '../scripts/import';

/** The supplier of the demo's daily delivery. */
const DEMO_SUPPLIER = 'demo-supplier';
/** Units added to every generated lot, so the demo never runs dry within a day. */
const DAILY_TOP_UP = 50;
/** Shelf life (days) of a SKU whose category the catalogue does not know. */
const DEFAULT_SHELF_LIFE_DAYS = 7;

type Row = Readonly<Record<string, string | number | boolean>>;

/** One RFC 4180 cell: quoted when it holds a comma, quote or line break. */
const cell = (v: string | number | boolean): string => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** A CSV file's text: the header from `columns`, then one line per row. */
export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c] ?? '')).join(','))].join('\n') + '\n';
}

/** A probe reading inside the SKU band's storage range (the middle, or 2 °C inside an open end). */
export function probeTempFor(band: string): number | undefined {
  const b = profileById(band)?.band;
  if (!b || (b.lowC === null && b.highC === null)) return undefined;
  if (b.lowC !== null && b.highC !== null) return (b.lowC + b.highC) / 2;
  return b.highC !== null ? b.highC - 2 : b.lowC! + 2;
}

/**
 * Today's delivery: every generated lot with a lot code of the day, topped up, and an expiry
 * that receiving accepts (at least the SKU's minimum remaining shelf life, plus a day so it
 * is still sellable tomorrow). Older generated lots near expiry are a shelf's history, not
 * something a supplier would deliver.
 */
export function dailyDelivery(city: City, day: string): StockLot[] {
  const minShelf = new Map(city.skus.map((s) => [s.sku, s.minShelfLifeDays]));
  const earliest = (sku: string) => isoDateToEpochDay(day) + (minShelf.get(sku) ?? 0) + 1;
  return city.lots.map((l) => ({
    ...l,
    lotId: `${l.lotId}-${day}`,
    available: l.available + DAILY_TOP_UP,
    expiresOn: epochDayToIsoDate(Math.max(isoDateToEpochDay(l.expiresOn), earliest(l.sku))),
  }));
}

/** The import's files for a city and its delivery of `day` (received at 08:00 Shanghai, 00:00 UTC). */
export function cityCsvFiles(city: City, day: string): Record<string, string> {
  const shelfLife = new Map(CATEGORIES.map((c) => [c.category, c.shelfLifeDays]));
  const skuOf = new Map(city.skus.map((s) => [s.sku, s]));
  const shelfLifeOf = (s: Sku) => Math.max(shelfLife.get(s.category) ?? DEFAULT_SHELF_LIFE_DAYS, s.minShelfLifeDays, 1);
  const lots = dailyDelivery(city, day);
  // A bin holds one zone: the zone of the SKUs stocked in it (aisles are per zone).
  const bins = [
    ...new Map(
      lots
        .filter((l) => l.bin)
        .map((l) => [`${l.nodeId}/${l.bin}`, { node_id: l.nodeId, bin: l.bin!, zone: skuOf.get(l.sku)!.zone }]),
    ).values(),
  ]
    .sort((a, b) => a.node_id.localeCompare(b.node_id) || a.bin.localeCompare(b.bin))
    .map((b, i) => ({ ...b, pick_sequence: i + 1 }));
  const net = sensorNetworkOf(city);
  return {
    'nodes.csv': toCsv(
      ['node_id', 'kind', 'name', 'lat', 'lng', 'service_radius_km', 'zones', 'slot_capacity'],
      city.nodes.map((n) => ({
        node_id: n.id,
        kind: n.kind,
        name: n.name,
        lat: n.location.lat,
        lng: n.location.lng,
        service_radius_km: n.serviceRadiusKm,
        zones: n.zones.join(';'),
        slot_capacity: Object.entries(n.slotCapacity)
          .map(([k, v]) => `${k}=${v}`)
          .join(';'),
      })),
    ),
    'skus.csv': toCsv(
      [
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
      city.skus.map((s) => ({
        sku: s.sku,
        name: s.name,
        category: s.category,
        zone: s.zone,
        band: bandOf(s),
        shelf_life_days: shelfLifeOf(s),
        min_shelf_life_days: s.minShelfLifeDays,
        perishable: s.perishable,
        unit_price_cents: s.unitPriceCents,
      })),
    ),
    'bins.csv': toCsv(['node_id', 'bin', 'zone', 'pick_sequence'], bins),
    'assets.csv': toCsv(
      ['asset_id', 'node_id', 'kind', 'band'],
      net.assets.map((a) => ({ asset_id: a.id, node_id: a.nodeId, kind: a.kind, band: a.band })),
    ),
    'sensors.csv': toCsv(
      ['sensor_id', 'asset_id'],
      net.sensors.map((s) => ({ sensor_id: s.id, asset_id: s.assetId })),
    ),
    'lots.csv': toCsv(
      ['node_id', 'supplier_id', 'received_at', 'sku', 'quantity', 'lot_code', 'bin', 'expires_on', 'probe_temp_c'],
      lots
        .filter((l) => l.bin)
        .map((l) => {
          const sku = skuOf.get(l.sku)!;
          const probe = sku.zone === 'ambient' ? undefined : probeTempFor(bandOf(sku));
          return {
            node_id: l.nodeId,
            supplier_id: DEMO_SUPPLIER,
            received_at: `${day}T08:00:00+08:00`,
            sku: l.sku,
            quantity: l.available,
            lot_code: l.lotId,
            bin: l.bin!,
            expires_on: l.expiresOn,
            ...(probe === undefined ? {} : { probe_temp_c: probe }),
          };
        }),
    ),
  };
}

/**
 * Load a generated city (ids prefixed with `prefix`) and its delivery of `day` through the
 * import. Idempotent: the same day's files are the same bytes, so a re-run changes nothing and
 * repeats every receipt. Throws with every problem when the import refuses the files.
 */
export async function loadDemoCity(
  db: Db,
  generated: City,
  opts: { prefix: string; day: string; actor: string },
): Promise<{ city: City; report: ImportReport }> {
  const city = prefixCity(generated, opts.prefix);
  const dir = mkdtempSync(join(tmpdir(), 'freshchain-demo-'));
  try {
    for (const [name, text] of Object.entries(cityCsvFiles(city, opts.day))) writeFileSync(join(dir, name), text);
    const report = await runImport(db, { dir, dryRun: false, actor: opts.actor });
    if (report.problems.length) {
      throw new Error(
        `demo city refused by the import: ${report.problems
          .slice(0, 20)
          .map((p) => `${p.file}:${p.line}:${p.column}: ${p.reason}`)
          .join('; ')}`,
      );
    }
    return { city: { ...city, lots: dailyDelivery(city, opts.day) }, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
