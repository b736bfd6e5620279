// What the API refuses in any input before a route sees it, as pure functions: text that
// PostgreSQL cannot store or that breaks logs and workflow ids (NUL, C0 controls other than tab,
// newline and return, lone surrogates), object keys that pollute prototypes when code spreads
// or merges a body (`__proto__`, `constructor`), and nesting deeper than any of our bodies
// needs. The first offence is named by its field path, so the 400 tells the caller what to fix.
// The walk is iterative: a 100,000-deep array must not overflow the stack.
import { LONE_SURROGATE } from '../domain/text';

/** A field path: object keys and array indices from the root of the input. */
export type FieldPath = (string | number)[];

/** The first unsafe thing found, where, and what is wrong with it. */
export interface UnsafeInput {
  path: FieldPath;
  message: string;
}

/** Deepest nesting of arrays and objects a request body may have (ours need fewer than 6). */
export const MAX_JSON_DEPTH = 32;

/** Keys refused anywhere: they reach Object.prototype when a body is merged or spread carelessly. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

// NUL and C0 controls except \t \n \r; a high surrogate not followed by a low one; a low
// surrogate not preceded by a high one. Controls are what this pattern is for.
const UNSAFE_TEXT = new RegExp(`[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]|${LONE_SURROGATE.source}`);

const codePoint = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a string may not be accepted, or null when it may. */
export function textProblem(s: string): string | null {
  const m = UNSAFE_TEXT.exec(s);
  if (!m) return null;
  const c = m[0].charCodeAt(0);
  if (c === 0) return 'contains a NUL character (U+0000)';
  if (c < 0x20) return `contains a control character (${codePoint(c)})`;
  return `contains a lone surrogate (${codePoint(c)}): not valid Unicode text`;
}

interface Pending {
  value: unknown;
  path: FieldPath;
  /** Containers enclosing this value (the root has none). */
  depth: number;
}

/** Keys (own, enumerable) and values of a container, in iteration order. */
function entriesOf(value: object): [string | number, unknown][] {
  // Array.from, not map: map skips the holes of a sparse array.
  if (Array.isArray(value)) return Array.from(value as unknown[], (v, i) => [i, v]);
  return Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]]);
}

/** Problem with one key of an object at `path`, or null. */
function keyProblem(key: string, path: FieldPath): UnsafeInput | null {
  if (FORBIDDEN_KEYS.has(key)) return { path: [...path, key], message: 'key not allowed' };
  const problem = textProblem(key);
  return problem ? { path, message: `a key ${problem}` } : null;
}

/**
 * The first unsafe string, key or nesting in a parsed JSON value (depth-first, in key order),
 * or null when the whole value is acceptable. Never throws.
 */
export function findUnsafeInput(root: unknown, maxDepth = MAX_JSON_DEPTH): UnsafeInput | null {
  const stack: Pending[] = [{ value: root, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path, message: problem };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
    const entries = entriesOf(value);
    for (const [key] of entries) {
      const problem = typeof key === 'string' ? keyProblem(key, path) : null;
      if (problem) return problem;
    }
    // Pushed in reverse so that the walk visits them in order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      stack.push({ value: child, path: [...path, key], depth: depth + 1 });
    }
  }
  return null;
}

/** Query parameters (strings, or arrays of them as a query parser makes), named query.<name>. */
export function findUnsafeQuery(query: Record<string, unknown>): UnsafeInput | null {
  const found = findUnsafeInput(query, 4);
  return found ? { ...found, path: ['query', ...found.path] } : null;
}

const MAX_SEGMENT_SHOWN = 64;

/** A field path as errors show it (`lines.0.sku`, zod's style); a long key is cut short, and the root is `(body)`. */
export function formatFieldPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(body)';
  return path
    .map((s) =>
      typeof s === 'string' && s.length > MAX_SEGMENT_SHOWN ? `${s.slice(0, MAX_SEGMENT_SHOWN)}…` : String(s),
    )
    .join('.');
}

const segmentsOf = (path: string) => path.split('/').filter((s) => s !== '');

/**
 * Parameters of `path` (raw, still percent-encoded) if it matches an Express-style template
 * (`/v1/orders/:orderId`): literal segments compare case-insensitively and a trailing slash is
 * ignored, as Express routes them. Null when it does not match.
 */
export function matchPathTemplate(template: string, path: string): Record<string, string> | null {
  const want = segmentsOf(template);
  const got = segmentsOf(path);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = g;
    else if (w.toLowerCase() !== g.toLowerCase()) return null;
  }
  return params;
}

/** decodeURIComponent, or null for text that is not valid percent-encoded UTF-8 (the router refuses that with a 400 of its own). */
function decoded(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/**
 * The first unsafe path parameter of a request path (raw), named after the template that
 * matches it; segments of a path no template matches are checked too, named `path`.
 */
export function findUnsafeParams(templates: readonly string[], path: string): UnsafeInput | null {
  for (const template of templates) {
    const params = matchPathTemplate(template, path);
    if (!params) continue;
    for (const [name, raw] of Object.entries(params)) {
      const problem = textProblem(decoded(raw) ?? '');
      if (problem) return { path: [name], message: problem };
    }
    return null;
  }
  for (const raw of segmentsOf(path)) {
    const problem = textProblem(decoded(raw) ?? '');
    if (problem) return { path: ['path'], message: problem };
  }
  return null;
}
