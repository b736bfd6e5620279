// Bin locations look like "A-03-2": aisle, bay, level. Walking order is aisle, then bay
// number, then level, compared as numbers so "A-10-1" comes after "A-9-1".
import { ZONE_SEQUENCE, type Zone } from './types';

/** A parsed bin location. */
export interface BinLocation {
  readonly aisle: string;
  readonly bay: number;
  readonly level: number;
}

const BIN = /^([A-Za-z]+)-(\d+)-(\d+)$/;

/** Parse "A-03-2"; null when the text does not follow the pattern. */
export function parseBin(bin: string): BinLocation | null {
  const m = BIN.exec(bin.trim());
  if (!m) return null;
  return { aisle: (m[1] as string).toUpperCase(), bay: Number(m[2]), level: Number(m[3]) };
}

/** Bin comparator: aisle, bay, level; unparseable bins after valid ones, missing bins last. */
export function compareBins(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const pa = parseBin(a);
  const pb = parseBin(b);
  if (pa && pb) {
    // Aisles by length first so "Z" < "AA", as aisle signs run.
    if (pa.aisle !== pb.aisle) return pa.aisle.length - pb.aisle.length || (pa.aisle < pb.aisle ? -1 : 1);
    return pa.bay - pb.bay || pa.level - pb.level;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : 1;
}

/** Position of a zone in the pick sequence (ambient 0, chilled 1, frozen 2). */
export function zoneRank(zone: Zone): number {
  return ZONE_SEQUENCE.indexOf(zone);
}
