// A transfer (issue 14) as a workflow, id `transfer-<transferId>`: planned (the API wrote the
// row) → picked at the source → shipped in a van → received at the destination → done, or
// cancelled before shipping. Each step is an update: its validator refuses a step the status
// does not allow (409 at the API), its activity does the stock move in one transaction and may
// refuse the input with problems naming fields (the update fails with type TransferRefused,
// 422 at the API). Steps run one at a time.
import { allHandlersFinished, ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { StepResult, TransferAction, TransferStatus } from '../domain/transfers/status';
import { transition } from '../domain/transfers/status';
import { transferActivities as acts } from './activity-options';
import {
  cancelTransferUpdate,
  pickedAtSourceUpdate,
  receivedUpdate,
  shippedUpdate,
  TRANSFER_REFUSED,
  transferStatusQuery,
} from './transfer.contract';
import type { TransferInput } from './transfer.contract';

export async function transferWorkflow(input: TransferInput): Promise<TransferStatus> {
  let status: TransferStatus = 'planned';
  let chain: Promise<unknown> = Promise.resolve();

  /** Run one step after the ones before it; the status is re-checked when its turn comes. */
  const step = (action: TransferAction, run: () => Promise<StepResult>): Promise<TransferStatus> => {
    const next = chain.then(async (): Promise<TransferStatus> => {
      const t = transition(status, action);
      if (!t.ok) throw ApplicationFailure.nonRetryable(t.why, 'InvalidTransition');
      const r = await run();
      if (r.outcome === 'refused')
        throw ApplicationFailure.create({
          message: r.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
          type: TRANSFER_REFUSED,
          nonRetryable: true,
          details: r.problems,
        });
      if (r.outcome === 'conflict') throw ApplicationFailure.nonRetryable(r.message, 'InvalidTransition');
      if (r.outcome === 'missing')
        throw ApplicationFailure.nonRetryable(`transfer ${input.transferId} not found`, 'InvalidTransition');
      status = r.status;
      return status;
    });
    chain = next.catch(() => undefined);
    return next;
  };
  const validator =
    (action: TransferAction) =>
    (..._args: unknown[]): void => {
      const t = transition(status, action);
      if (!t.ok) throw new Error(t.why);
    };

  setHandler(transferStatusQuery, () => status);
  setHandler(
    pickedAtSourceUpdate,
    ({ picks, actor }) => step('picked', () => acts.pickTransfer({ transferId: input.transferId, picks, actor })),
    { validator: validator('picked') },
  );
  setHandler(
    shippedUpdate,
    ({ vanAssetId, actor }) =>
      step('shipped', () => acts.shipTransfer({ transferId: input.transferId, vanAssetId, actor })),
    { validator: validator('shipped') },
  );
  setHandler(
    receivedUpdate,
    ({ receivedAt, actor }) =>
      step('received', () => acts.receiveTransfer({ transferId: input.transferId, receivedAt, actor })),
    { validator: validator('received') },
  );
  setHandler(
    cancelTransferUpdate,
    ({ reason, actor }) => step('cancel', () => acts.cancelTransfer({ transferId: input.transferId, reason, actor })),
    { validator: validator('cancel') },
  );

  await condition(() => status === 'done' || status === 'cancelled');
  await condition(allHandlersFinished);
  return status;
}
