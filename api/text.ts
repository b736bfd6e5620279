import { z } from 'zod';

// Free text from the outside world ends up in SQL text columns, logs and Temporal payloads.
// PostgreSQL refuses NUL in text, and control characters or unpaired surrogates (which cannot
// be encoded as UTF-8) have no business in a name or an address: refuse them at the boundary,
// with the field named, instead of storing or failing on them later.

// C0 and C1 controls and DEL (Unicode category Cc), NUL included.
const CONTROL = /\p{Cc}/u;
// A high surrogate not followed by a low one, or a low one not preceded by a high one
// (String.prototype.isWellFormed, which is ES2024, without raising the compile target).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True for text that is well-formed UTF-16 (no lone surrogates) and has no control characters. */
export function isCleanText(s: string): boolean {
  return !LONE_SURROGATE.test(s) && !CONTROL.test(s);
}

/** Why `isCleanText` refused a string, for the 400 answer. */
export const CLEAN_TEXT_MESSAGE = 'must not contain control characters (NUL included) or unpaired surrogates';

/** A free-text field: length within [min, max] characters, and clean (see `isCleanText`). */
export function cleanText(min: number, max: number): z.ZodType<string> {
  return z.string().min(min).max(max).refine(isCleanText, CLEAN_TEXT_MESSAGE);
}
