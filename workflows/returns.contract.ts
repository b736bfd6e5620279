// How callers start and await a CustomerReturnWorkflow without importing the workflow code.
import type { CustomerReturnInput, CustomerReturnOutcome } from '../domain/orders';

/** The workflow type as the worker registers it. */
export const CUSTOMER_RETURN_WORKFLOW_TYPE = 'customerReturnWorkflow';
/** The signature of customerReturnWorkflow, for typed `start` and `getHandle` calls by its type name. */
export type CustomerReturnWorkflow = (input: CustomerReturnInput) => Promise<CustomerReturnOutcome>;

/** The workflow id of one return: the same request twice runs once. */
export function returnWorkflowId(orderId: string, returnId: string): string {
  return `return-${orderId}-${returnId}`;
}
