// Wave planning for the picker API, pure: open fulfilments of a node (as their workflows last
// published them) in, the domain's wave plan out. Planning from the current open set on every
// request is the re-plan: an arrival joins, a cancellation leaves, and zones a picker holds
// are never re-planned (they are not open any more).
import { z } from 'zod';
import { planWaves } from '../../domain/orders';
import type { PlacedFulfilment, Tote, Wave, WaveLimits, Zone } from '../../domain/orders';
import type { PickView } from '../../domain/orders';

/** Limits when the node sets none (nodes.attributes.waves). */
export const DEFAULT_WAVE_LIMITS: WaveLimits = { maxOrdersPerWave: 8, maxLinesPerWave: 40, pickersOnShift: 2 };

const limitsSchema = z
  .object({
    maxOrdersPerWave: z.number().int().min(1).max(100),
    maxLinesPerWave: z.number().int().min(1).max(1000),
    pickersOnShift: z.number().int().min(1).max(200),
    deadlineBucketMs: z.number().int().min(60_000).max(86_400_000),
    secondsPerPick: z.number().min(1).max(600),
    waveSetupSeconds: z.number().min(0).max(3600),
  })
  .partial();

/** A node's wave limits: its own settings over the defaults; a malformed setting is ignored. */
export function waveLimitsOf(settings: unknown): WaveLimits {
  const parsed = limitsSchema.safeParse(settings ?? {});
  return parsed.success ? { ...DEFAULT_WAVE_LIMITS, ...parsed.data } : DEFAULT_WAVE_LIMITS;
}

/** The zones of a fulfilment nobody has claimed yet, as totes of what is left to pick. */
export function openTotes(view: PickView): Tote[] {
  if (view.state !== 'allocated' && view.state !== 'picking') return [];
  const open = new Set(view.zones.filter((z) => z.pickerId === null).map((z) => z.zone));
  const byZone = new Map<Zone, Tote['lines'][number][]>();
  for (const l of view.lines) {
    if (!open.has(l.zone) || l.status === 'picked' || l.status === 'short') continue;
    const lots = l.lots
      .filter((x) => x.picked < x.qty)
      .map((x) => ({
        lotId: x.lotId,
        qty: x.qty - x.picked,
        expiresOn: x.expiresOn,
        ...(x.bin ? { bin: x.bin } : {}),
      }));
    if (!lots.length) continue;
    byZone.set(l.zone, [...(byZone.get(l.zone) ?? []), { lineId: l.lineId, sku: l.sku, qty: l.qty - l.picked, lots }]);
  }
  return [...byZone].map(([zone, lines]) => ({ zone, lines }));
}

/**
 * Plan the open waves of a node. Fulfilments stand in for orders in the plan (an order can have
 * two fulfilments at one node after a re-allocation), so a wave's `orderIds` are fulfilment ids.
 */
export function planNodeWaves(nodeId: string, views: readonly PickView[], now: number, limits: WaveLimits): Wave[] {
  const placed: PlacedFulfilment[] = views
    .filter((v) => v.nodeId === nodeId)
    .flatMap((v) => {
      const totes = openTotes(v);
      if (!totes.length) return [];
      return [
        {
          orderId: v.fulfilmentId,
          addressKey: '',
          slot: v.slot,
          allocatedAt: v.allocatedAt,
          fulfilment: {
            nodeId,
            nodeKind: v.nodeKind,
            totes,
            etaMs: v.slot.end,
            pickDeadlineMs: v.pickDeadlineMs,
            distanceKm: 0,
          },
        },
      ];
    });
  return [...planWaves(nodeId, placed, now, limits).waves];
}
