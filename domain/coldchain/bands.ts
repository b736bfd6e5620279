// Temperature bands and the rule profiles that watch them.
//
// A profile is configuration, so it is validated with zod (shape and the orderings that make
// the rules meaningful, e.g. the clear threshold must sit inside the trigger for hysteresis).
// All temperatures are °C and all durations seconds, as in the config files people edit.
import { z } from 'zod';

/** Nominal storage band; null means unbounded on that side (frozen has no lower limit). */
export interface Band {
  lowC: number | null;
  highC: number | null;
}

/**
 * One direction of an excursion rule ("above 5 °C for 15 min"). For a high rule a value is
 * beyond a threshold when it is above it; for a low rule, when it is below it.
 */
export interface ThresholdRule {
  /** Beyond this for `warnDelaySec` opens a warning. */
  warnC: number;
  warnDelaySec: number;
  /** Beyond this for `criticalDelaySec` escalates to critical. */
  criticalC: number;
  criticalDelaySec: number;
  /** Back inside this (hysteresis) for `clearHoldSec` resolves the excursion. */
  clearC: number;
  clearHoldSec: number;
}

/** Door-open and defrost suppression: excursion counting is deferred while they last. */
export interface Suppression {
  /** Grace after the door closes, while the air recovers. */
  doorGraceSec: number;
  /** A door open longer than this stops suppressing: a door left ajar is itself the problem. */
  maxDoorOpenSec: number;
  /** Grace after a defrost cycle ends. */
  defrostGraceSec: number;
  /** A defrost longer than this stops suppressing (stuck defrost heater). */
  maxDefrostSec: number;
}

/** Everything the rule engine needs to watch one kind of stock. */
export interface RuleProfile {
  id: string;
  label: string;
  band: Band;
  high: ThresholdRule | null;
  low: ThresholdRule | null;
  suppression: Suppression;
  /** Max |dT/dt| in °C/min measured over at least `windowSec`; null disables the rule. */
  rateOfChange: { maxCPerMin: number; windowSec: number } | null;
  /** No reading for this long means offline (ThingsBoard's default inactivity timeout is 600 s). */
  offlineTimeoutSec: number;
  /** Beyond these the stock is quarantined at once, with no duration and no suppression. */
  hardLimit: Band;
}

const nonNeg = z.number().nonnegative();
const temp = z.number().min(-60).max(80);

/** Zod schema for a threshold rule (ordering is checked by `RuleProfileSchema`). */
export const ThresholdRuleSchema = z.object({
  warnC: temp,
  warnDelaySec: nonNeg,
  criticalC: temp,
  criticalDelaySec: nonNeg,
  clearC: temp,
  clearHoldSec: nonNeg,
});

/** Zod schema for a band. */
export const BandSchema = z.object({ lowC: temp.nullable(), highC: temp.nullable() });

/** Zod schema for a rule profile, including the orderings between thresholds. */
export const RuleProfileSchema = z
  .object({
    id: z.string().min(1),
    label: z.string(),
    band: BandSchema,
    high: ThresholdRuleSchema.nullable(),
    low: ThresholdRuleSchema.nullable(),
    suppression: z.object({
      doorGraceSec: nonNeg,
      maxDoorOpenSec: nonNeg,
      defrostGraceSec: nonNeg,
      maxDefrostSec: nonNeg,
    }),
    rateOfChange: z.object({ maxCPerMin: z.number().positive(), windowSec: z.number().positive() }).nullable(),
    offlineTimeoutSec: z.number().positive(),
    hardLimit: BandSchema,
  })
  .superRefine((p, ctx) => {
    for (const problem of orderingProblems(p)) ctx.addIssue({ code: 'custom', message: problem });
  });

function orderingProblems(p: z.infer<typeof RuleProfileSchema>): string[] {
  const out: string[] = [];
  const { band, high, low, hardLimit } = p;
  if (band.lowC !== null && band.highC !== null && band.lowC > band.highC) out.push('band.lowC must be ≤ band.highC');
  if (high) {
    if (high.criticalC < high.warnC) out.push('high.criticalC must be ≥ high.warnC');
    if (high.clearC >= high.warnC) out.push('high.clearC must be < high.warnC (hysteresis)');
    if (hardLimit.highC !== null && hardLimit.highC < high.criticalC)
      out.push('hardLimit.highC must be ≥ high.criticalC');
  }
  if (low) {
    if (low.criticalC > low.warnC) out.push('low.criticalC must be ≤ low.warnC');
    if (low.clearC <= low.warnC) out.push('low.clearC must be > low.warnC (hysteresis)');
    if (hardLimit.lowC !== null && hardLimit.lowC > low.criticalC) out.push('hardLimit.lowC must be ≤ low.criticalC');
  }
  if (high && low && low.warnC >= high.warnC) out.push('low.warnC must be < high.warnC');
  return out;
}

/** Validates an untrusted profile (e.g. from a config file). */
export function validateProfile(input: unknown): { ok: true; profile: RuleProfile } | { ok: false; errors: string[] } {
  const parsed = RuleProfileSchema.safeParse(input);
  if (parsed.success) return { ok: true, profile: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(profile)'}: ${i.message}`),
  };
}

/** Names of the built-in profiles. */
export type DefaultProfileId = 'frozen' | 'chilled' | 'leafy' | 'chilling_sensitive' | 'ambient';

const MIN = 60;

// Shared by the chilled-type profiles: short door openings recover within minutes, defrost
// cycles (20–40 min) need longer; ThingsBoard's 600 s inactivity timeout.
const FRIDGE_SUPPRESSION: Suppression = {
  doorGraceSec: 5 * MIN,
  maxDoorOpenSec: 10 * MIN,
  defrostGraceSec: 15 * MIN,
  maxDefrostSec: 45 * MIN,
};

/**
 * Built-in profiles from DOMAIN.md. Bands are the storage targets; the alert thresholds sit a
 * little outside them so that normal control swings do not alert. Tune per site.
 */
export const DEFAULT_PROFILES: Readonly<Record<DefaultProfileId, RuleProfile>> = {
  // ≤ −18 °C. The EU quick-frozen rules tolerate brief rises of up to 3 °C (−15 °C) in transport.
  frozen: {
    id: 'frozen',
    label: 'Frozen (≤ −18 °C)',
    band: { lowC: null, highC: -18 },
    high: {
      warnC: -18,
      warnDelaySec: 30 * MIN,
      criticalC: -15,
      criticalDelaySec: 30 * MIN,
      clearC: -19,
      clearHoldSec: 10 * MIN,
    },
    low: null,
    suppression: { ...FRIDGE_SUPPRESSION, defrostGraceSec: 20 * MIN },
    rateOfChange: { maxCPerMin: 2, windowSec: 5 * MIN },
    offlineTimeoutSec: 600,
    hardLimit: { lowC: null, highC: -5 },
  },
  // 0–4 °C; 5 °C is the Food Code cold-holding limit, hence "above 5 °C for 15 min".
  chilled: {
    id: 'chilled',
    label: 'Chilled (0–4 °C)',
    band: { lowC: 0, highC: 4 },
    high: {
      warnC: 5,
      warnDelaySec: 15 * MIN,
      criticalC: 8,
      criticalDelaySec: 30 * MIN,
      clearC: 4,
      clearHoldSec: 10 * MIN,
    },
    low: {
      warnC: -1,
      warnDelaySec: 30 * MIN,
      criticalC: -2,
      criticalDelaySec: 30 * MIN,
      clearC: 0,
      clearHoldSec: 10 * MIN,
    },
    suppression: FRIDGE_SUPPRESSION,
    rateOfChange: { maxCPerMin: 1, windowSec: 5 * MIN },
    offlineTimeoutSec: 600,
    hardLimit: { lowC: -5, highC: 12 },
  },
  // 0–2 °C at high humidity; lettuce freezes just below 0 °C, so the low side is tight.
  leafy: {
    id: 'leafy',
    label: 'Leafy greens and berries (0–2 °C)',
    band: { lowC: 0, highC: 2 },
    high: {
      warnC: 4,
      warnDelaySec: 15 * MIN,
      criticalC: 7,
      criticalDelaySec: 30 * MIN,
      clearC: 2.5,
      clearHoldSec: 10 * MIN,
    },
    low: {
      warnC: -0.5,
      warnDelaySec: 15 * MIN,
      criticalC: -1.5,
      criticalDelaySec: 30 * MIN,
      clearC: 0,
      clearHoldSec: 10 * MIN,
    },
    suppression: FRIDGE_SUPPRESSION,
    rateOfChange: { maxCPerMin: 1, windowSec: 5 * MIN },
    offlineTimeoutSec: 600,
    hardLimit: { lowC: -3, highC: 10 },
  },
  // ~10–13 °C; chilling injury is cumulative, so the low side alerts slowly rather than hard.
  chilling_sensitive: {
    id: 'chilling_sensitive',
    label: 'Chilling-sensitive produce (10–13 °C)',
    band: { lowC: 10, highC: 13 },
    high: {
      warnC: 16,
      warnDelaySec: 60 * MIN,
      criticalC: 20,
      criticalDelaySec: 120 * MIN,
      clearC: 14,
      clearHoldSec: 15 * MIN,
    },
    low: {
      warnC: 9,
      warnDelaySec: 30 * MIN,
      criticalC: 7,
      criticalDelaySec: 60 * MIN,
      clearC: 10,
      clearHoldSec: 15 * MIN,
    },
    suppression: FRIDGE_SUPPRESSION,
    rateOfChange: { maxCPerMin: 1, windowSec: 5 * MIN },
    offlineTimeoutSec: 600,
    hardLimit: { lowC: 2, highC: 30 },
  },
  ambient: {
    id: 'ambient',
    label: 'Ambient (10–25 °C)',
    band: { lowC: 10, highC: 25 },
    high: {
      warnC: 28,
      warnDelaySec: 60 * MIN,
      criticalC: 32,
      criticalDelaySec: 60 * MIN,
      clearC: 26,
      clearHoldSec: 15 * MIN,
    },
    low: {
      warnC: 5,
      warnDelaySec: 60 * MIN,
      criticalC: 2,
      criticalDelaySec: 60 * MIN,
      clearC: 7,
      clearHoldSec: 15 * MIN,
    },
    suppression: FRIDGE_SUPPRESSION,
    rateOfChange: null,
    offlineTimeoutSec: 600,
    hardLimit: { lowC: -1, highC: 40 },
  },
};

/** Looks up a profile by id among custom profiles first, then the defaults. */
export function profileById(id: string, custom: Readonly<Record<string, RuleProfile>> = {}): RuleProfile | null {
  if (Object.prototype.hasOwnProperty.call(custom, id)) return custom[id] ?? null;
  if (Object.prototype.hasOwnProperty.call(DEFAULT_PROFILES, id)) return DEFAULT_PROFILES[id as DefaultProfileId];
  return null;
}

/** Where a temperature lies relative to a band. */
export function bandPosition(tempC: number, band: Band): 'below' | 'in' | 'above' {
  if (band.lowC !== null && tempC < band.lowC) return 'below';
  if (band.highC !== null && tempC > band.highC) return 'above';
  return 'in';
}
