import { z } from 'zod';
import { hasLoneSurrogate } from '../domain/text';

// Free text from the outside world ends up in SQL text columns, logs and Temporal payloads.
// PostgreSQL refuses NUL in text, and control characters or unpaired surrogates (which cannot
// be encoded as UTF-8) have no business in a name or an address: refuse them at the boundary,
// with the field named, instead of storing or failing on them later.

// C0 and C1 controls and DEL (Unicode category Cc), NUL included.
const CONTROL = /\p{Cc}/u;

/** True for text that is well-formed UTF-16 (no lone surrogates) and has no control characters. */
export function isCleanText(s: string): boolean {
  return !hasLoneSurrogate(s) && !CONTROL.test(s);
}

/** Why `isCleanText` refused a string, for the 400 answer. */
export const CLEAN_TEXT_MESSAGE = 'must not contain control characters (NUL included) or unpaired surrogates';

/** A free-text field: length within [min, max] characters, and clean (see `isCleanText`). */
export function cleanText(min: number, max: number): z.ZodType<string> {
  return z.string().min(min).max(max).refine(isCleanText, CLEAN_TEXT_MESSAGE);
}
