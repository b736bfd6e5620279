import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from './errors';

/**
 * Map what Temporal answers to an update or query onto API errors: a refused transition is a
 * 409 with the workflow's own message, an unknown workflow a 404. Anything else propagates.
 */
export function fromTemporal(err: unknown, what: string): never {
  if (err instanceof WorkflowNotFoundError) throw new ApiError('FC_NOT_FOUND', `${what} not found`);
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const message = cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : err.message;
    throw new ApiError('FC_INVALID_TRANSITION', message);
  }
  const e = err as { name?: string; message?: string };
  if (e?.name === 'NotFoundError' || /not found/i.test(e?.message ?? ''))
    throw new ApiError('FC_NOT_FOUND', `${what} not found`);
  throw err;
}
