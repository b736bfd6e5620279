import type { Payload, PayloadCodec } from '@temporalio/common';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { authenticate, requireRole } from '../auth';
import type { TokenKeys } from '../auth';
import { ApiError } from '../errors';
import type { ApiOperation } from '../operation';

// Temporal's remote codec protocol: the Web UI (and `temporal` CLI) POST
// {"payloads":[{"metadata":{k: base64}, "data": base64}]} to /decode and show the result.
const payloadSchema = z
  .object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })
  .strict();
const payloadsSchema = z.object({ payloads: z.array(payloadSchema).max(10_000) }).strict();

const fromJson = (p: z.infer<typeof payloadsSchema>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  ...(p.data ? { data: Buffer.from(p.data).toString('base64') } : {}),
});

/**
 * The codec endpoint: authorised ops read decrypted payloads in the Web UI; nobody else can.
 * CORS admits the UI's origin only, and the UI must forward the operator's access token.
 */
export function codecRouter(deps: {
  codec: PayloadCodec | undefined;
  tokenKeys: TokenKeys;
  uiOrigin: string;
  afterAuth?: RequestHandler[];
}): Router {
  const r = Router();
  const cors: RequestHandler = (req, res, next) => {
    if (req.headers.origin === deps.uiOrigin) {
      res.setHeader('access-control-allow-origin', deps.uiOrigin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, x-namespace');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
  // afterAuth: the app's body parser and input checks, run only for an authorised caller.
  // The same tokens as the API (current and, during a rotation, previous secret).
  r.use(cors, authenticate(deps.tokenKeys), requireRole('ops'), ...(deps.afterAuth ?? []));
  for (const op of ['encode', 'decode'] as const) {
    r.post(`/${op}`, async (req, res) => {
      // A bad body is a 400 whether or not encryption is on: validation first, as on every route.
      const { payloads } = payloadsSchema.parse(req.body);
      if (!deps.codec) {
        throw new ApiError('FC_CODEC_OFF', 'payload encryption is not enabled (PAYLOAD_CODEC_KEY unset)');
      }
      try {
        const out = await deps.codec[op](payloads.map(fromJson));
        res.json({ payloads: out.map(toJson) });
      } catch (err) {
        throw new ApiError('FC_CODEC', `cannot ${op}: ${(err as Error).message}`);
      }
    });
  }
  return r;
}

const codecOperation = (op: 'encode' | 'decode', summary: string): ApiOperation => ({
  id: op === 'encode' ? 'codecEncode' : 'codecDecode',
  method: 'post',
  path: `/codec/${op}`,
  tag: 'meta',
  summary,
  auth: ['ops'],
  body: payloadsSchema,
  responses: {
    200: { description: op === 'encode' ? 'Encoded' : 'Decoded', schema: payloadsSchema },
    404: { description: 'FC_CODEC_OFF: payload encryption is off' },
    422: { description: `FC_CODEC: cannot ${op}` },
  },
});

/** The codec operations, registered in the API description (api/openapi.ts). */
export const codecOperations: readonly ApiOperation[] = [
  codecOperation('encode', "Temporal remote codec: encode payloads (the Web UI's codec server)"),
  codecOperation('decode', 'Temporal remote codec: decode payloads for the Web UI (ops only)'),
];
