// What a router says about each of its operations, next to the schemas its handlers validate
// with; api/openapi.ts gathers these lists into the document. Kept low (it imports no router and
// no document code) so that routers and the document never import each other.
import { z } from 'zod';
import type { Role } from './auth';

/** One response of an operation. */
export interface ApiResponseSpec {
  description: string;
  schema?: z.ZodType;
}

/** One HTTP operation, described by the schemas its handler validates with. */
export interface ApiOperation {
  /** Stable operationId. */
  id: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path, e.g. /v1/orders/:orderId. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Roles a bearer token must hold; 'public' needs no token. */
  auth: readonly Role[] | 'public';
  params?: z.ZodObject;
  query?: z.ZodType;
  /** The very schema the handler parses the body with (a test checks the document shows exactly it). */
  body?: z.ZodType;
  /** Body fields the handler fills in when absent (documented as optional with this default). */
  bodyDefaults?: Record<string, unknown>;
  /** Takes an Idempotency-Key header (or `idempotencyKey` in the body); required. */
  idempotencyKey?: boolean;
  responses: Record<number, ApiResponseSpec>;
}

/** A JSON response documented by its description only (the body is an object). */
export const jsonResponse = (description: string): ApiResponseSpec => ({
  description,
  schema: z.record(z.string(), z.unknown()),
});
