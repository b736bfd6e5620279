// The one id pattern of the system: node, SKU, lot, order, line, asset, sensor and gateway ids,
// what URLs, MQTT topics, CSV cells and workflow ids carry without escaping. It excludes MQTT's
// '/', '+', '#' and a leading '$' (reserved for broker topics), and ':' which the rule engine
// uses as the separator in its deterministic event ids.
import { z } from 'zod';

const ID_BODY = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}';

/** An id: 1-64 letters, digits, dot, underscore or dash, starting with a letter or digit. */
export const ID_PATTERN = new RegExp(`^${ID_BODY}$`);

/** What a refused id is told. */
export const ID_RULE = '1-64 letters, digits, dot, underscore or dash, starting with a letter or digit';

/** An id as a zod schema; `kind` (e.g. 'a node id') names what the caller sent in the refusal. */
export function idSchema(kind?: string): z.ZodString {
  return z.string().regex(ID_PATTERN, kind ? `must be ${kind}: ${ID_RULE}` : `must be ${ID_RULE}`);
}

/** A fulfilment's workflow id: `order-<orderId>-f<n>`. */
export const FULFILMENT_ID_PATTERN = new RegExp(`^order-${ID_BODY}-f\\d{1,4}$`);

/** A fulfilment id as a zod schema. */
export const fulfilmentIdSchema = (): z.ZodString =>
  z.string().regex(FULFILMENT_ID_PATTERN, 'must be a fulfilment id (order-<orderId>-f<n>)');
