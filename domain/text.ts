// Text from the outside world made safe for a PostgreSQL text column.
//
// PostgreSQL refuses U+0000 in text ("invalid byte sequence for encoding UTF8: 0x00"), and a
// lone UTF-16 surrogate has no UTF-8 form (node-postgres would send U+FFFD for it, silently).
// One refused value fails the whole statement, so every string that came from a device, a
// topic or an error message passes through here before it is stored.

/** The character that stands in for whatever could not be kept. */
export const REPLACEMENT_CHAR = '\uFFFD';

/**
 * A high surrogate not followed by a low one, or a low one not preceded by a high one: a UTF-16
 * code unit with no UTF-8 form (String.prototype.isWellFormed, ES2024, without raising the target).
 */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` holds a lone surrogate (see `LONE_SURROGATE`). */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

// A NUL or a lone surrogate.
const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, 'g');

/** True when `s` can be stored in a PostgreSQL text column as it is. */
export function isStorableText(s: string): boolean {
  UNSTORABLE.lastIndex = 0;
  return !UNSTORABLE.test(s);
}

/**
 * `s` with every NUL and lone surrogate replaced by U+FFFD; beyond `maxChars` it is cut (never
 * between the two halves of a surrogate pair) and ends in '…'. Non-strings become their String() form.
 */
export function storableText(s: unknown, maxChars = Infinity): string {
  let text = typeof s === 'string' ? s : String(s);
  if (text.length > maxChars) {
    const cut = maxChars > 0 && isHighSurrogate(text.charCodeAt(maxChars - 1)) ? maxChars - 1 : maxChars;
    text = `${text.slice(0, cut)}…`;
  }
  return isStorableText(text) ? text : text.replace(UNSTORABLE, REPLACEMENT_CHAR);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
