// Every error code the API answers with, declared once: its HTTP status and what it means.
// ApiError takes its status from here, the OpenAPI document lists these codes, and
// docs/errors.md is generated from this table (a test keeps it equal), so a code cannot be
// used, documented or given a status anywhere else.

/** One entry of the catalogue. */
export interface ErrorCodeSpec {
  readonly status: number;
  readonly meaning: string;
}

/** The catalogue: code → status and meaning. */
export const ERROR_CODES = {
  FC_VALIDATION: {
    status: 400,
    meaning: 'A field of the body, query or path is invalid; the message and details name each one',
  },
  FC_MALFORMED_JSON: { status: 400, meaning: 'The body is not JSON, or not valid UTF-8' },
  FC_BAD_REQUEST: { status: 400, meaning: 'The request could not be read (e.g. an unsupported charset)' },
  FC_INVALID_ACTION: { status: 400, meaning: 'The action is not one this resource takes' },
  FC_IDEMPOTENCY_KEY_REQUIRED: {
    status: 400,
    meaning: 'The action needs an Idempotency-Key header or idempotencyKey field',
  },
  FC_UNAUTHENTICATED: { status: 401, meaning: 'Missing, invalid or expired bearer token; the message names the claim' },
  FC_FORBIDDEN: { status: 403, meaning: "The token's role or node does not allow this" },
  FC_NOT_FOUND: { status: 404, meaning: 'No such route or resource, or not one this caller may see' },
  FC_CODEC_OFF: { status: 404, meaning: 'Payload encryption is off: there is no codec to use' },
  FC_INVALID_TRANSITION: {
    status: 409,
    meaning: "The resource's state does not allow this action; the message says why",
  },
  FC_CONFLICT: { status: 409, meaning: 'Another request changed the same thing at the same time: send it again' },
  FC_ORDER_CONFLICT: {
    status: 409,
    meaning: 'The order id was submitted before with a different body; details.fields names what differs',
  },
  FC_ORDER_ID_TAKEN: { status: 409, meaning: 'Another principal already placed an order with this id' },
  FC_RECEIPT_CONFLICT: {
    status: 409,
    meaning: 'The receipt id was stored with a different body; details name the differing fields',
  },
  FC_TRANSFER_CONFLICT: {
    status: 409,
    meaning: 'The transfer id was used with a different body; details name the fields',
  },
  FC_RETURN_REFUSED: {
    status: 409,
    meaning: 'A return breaks a rule (window, quantity, fresh goods without a quality problem)',
  },
  FC_STOCK: {
    status: 409,
    meaning: 'A stock adjustment the lot cannot take (on hand past the largest quantity a lot holds)',
  },
  FC_SUBSCRIPTION_DISABLED: { status: 409, meaning: 'The webhook subscription is disabled' },
  FC_WAVE_GONE: { status: 409, meaning: 'The wave was re-planned or claimed by someone else: refresh' },
  FC_ACTIVE_ORDERS: { status: 409, meaning: 'The customer still has orders on their way; details list them' },
  FC_ERASED: { status: 410, meaning: "The customer's personal data was erased" },
  FC_BODY_TOO_LARGE: { status: 413, meaning: 'The body is larger than the limit' },
  FC_UNSUPPORTED_ENCODING: { status: 415, meaning: 'The body has a charset or content encoding the API does not read' },
  FC_CODEC: { status: 422, meaning: 'The payloads could not be encoded or decoded' },
  FC_UNKNOWN_REFERENCE: {
    status: 422,
    meaning: 'A field refers to something that does not exist; the message names the field',
  },
  FC_TRANSFER_REFUSED: { status: 422, meaning: 'The transfer cannot be made as asked; the message names the field' },
  FC_INTERNAL: { status: 500, meaning: 'An unexpected error (logged on the server)' },
  FC_UNAVAILABLE: { status: 503, meaning: 'A service the request needs is not connected' },
} as const satisfies Record<string, ErrorCodeSpec>;

/** A code of the catalogue. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code, in catalogue order. */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

/** Whether a string is a code of the catalogue. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** docs/errors.md: the catalogue as a Markdown table (generated; a test checks the file equals it). */
export function errorCodesMarkdown(): string {
  const rows = ERROR_CODE_LIST.map(
    (code) => `| \`${code}\` | ${ERROR_CODES[code].status} | ${ERROR_CODES[code].meaning} |`,
  );
  return [
    '# API error codes',
    '',
    'Every error answer is `{"error": {"code", "message", "details"}}`. The codes below are all the',
    'API uses, each always with the same HTTP status. Generated from `api/error-codes.ts`',
    '(`npx tsx scripts/error-codes-doc.ts > docs/errors.md`); a unit test keeps this page equal to it.',
    '',
    '| code | HTTP | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
