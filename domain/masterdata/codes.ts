// Governed code tables: the one place that says which zones, cold-chain bands, categories,
// node kinds and asset kinds master data may use. Each is derived from the module that gives
// the code its meaning (zones from the order domain, bands from the rule profiles), so a code
// cannot be valid here and unknown there. Categories are listed here: the demo's catalogue
// draws from them (a test checks it), not the other way round.
import { DEFAULT_PROFILES } from '../coldchain/bands';
import type { DefaultProfileId } from '../coldchain/bands';
import { ZONE_SEQUENCE } from '../orders/types';

/** Temperature zones a node can hold and a SKU is stored in. */
export const ZONES = ZONE_SEQUENCE;

/**
 * Built-in cold-chain bands (rule profile ids). An operator may add custom profiles
 * (alert_rule_profiles); those are valid bands too, checked against the database.
 */
export const BUILT_IN_BANDS = Object.keys(DEFAULT_PROFILES) as DefaultProfileId[];

/** Product categories: fresh, chilled and frozen ones, plus the ambient ones a grocer's range always has. */
export const CATEGORIES: readonly string[] = [
  'leafy_greens',
  'berries',
  'fruit',
  'vegetables',
  'dairy',
  'eggs',
  'tofu',
  'meat',
  'seafood',
  'frozen_dumplings',
  'ice_cream',
  'frozen_seafood',
  'bread',
  'rice',
  'oil',
  'drinks',
  'snacks',
  'condiments',
  'bakery',
  'pantry',
  'beverages',
  'household',
  'deli',
  'flowers',
].sort();

/** Node kinds: front warehouses (dark stores) and store warehouses (DOMAIN.md). */
export const NODE_KINDS = ['front', 'store'] as const;

/** Cold-chain equipment kinds (the CHECK on assets.kind). */
export const ASSET_KINDS = ['fridge', 'freezer', 'cold_room', 'van', 'shelf'] as const;

/** Days of the week, as opening hours name them. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** Every code table, as served to clients and checked by tests. */
export const CODE_TABLES = {
  zones: ZONES,
  bands: BUILT_IN_BANDS,
  categories: CATEGORIES,
  nodeKinds: NODE_KINDS,
  assetKinds: ASSET_KINDS,
} as const;

/** True when `band` is a built-in band; custom ones need the database (db/masterdata.ts). */
export function isBuiltInBand(band: string): boolean {
  return (BUILT_IN_BANDS as readonly string[]).includes(band);
}
