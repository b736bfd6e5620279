// Activities of transferWorkflow (issue 14): each step is one transaction in db/transfers.ts
// that checks the status it starts from, so a retry after a lost answer finds its step done.
import { exposeShipment } from '../coldchain';
import type { Db } from '../db/pool';
import * as transfers from '../db/transfers';
import type { StepResult } from '../domain/transfers/status';
import type { PickedBody } from '../domain/transfers/transfer';
import type { Logger } from '../platform/logger';

export function createTransferActivities(deps: { db: Db; logger: Logger }) {
  const { db } = deps;
  const logged = (transferId: string, step: string, r: StepResult): StepResult => {
    deps.logger.info({ transferId, step, outcome: r.outcome }, 'transfer step');
    return r;
  };
  return {
    async pickTransfer(a: { transferId: string; picks: PickedBody['picks']; actor: string }): Promise<StepResult> {
      return logged(
        a.transferId,
        'picked',
        await db.transaction((c) => transfers.pickTransfer(c, a.transferId, a.picks, a.actor)),
      );
    },
    async shipTransfer(a: { transferId: string; vanAssetId: string; actor: string }): Promise<StepResult> {
      return logged(
        a.transferId,
        'shipped',
        await db.transaction(async (c) => {
          const r = await transfers.shipTransfer(c, a.transferId, a.vanAssetId, a.actor);
          // An excursion already running in the van when it is loaded exposes the goods too.
          if (r.outcome === 'ok') await exposeShipment(c, a.vanAssetId, new Date());
          return r;
        }),
      );
    },
    async receiveTransfer(a: { transferId: string; receivedAt: string; actor: string }): Promise<StepResult> {
      return logged(
        a.transferId,
        'received',
        await db.transaction((c) => transfers.receiveTransfer(c, a.transferId, a.receivedAt, a.actor)),
      );
    },
    async cancelTransfer(a: { transferId: string; reason: string | null; actor: string }): Promise<StepResult> {
      return logged(
        a.transferId,
        'cancelled',
        await db.transaction((c) => transfers.cancelTransfer(c, a.transferId, a.reason, a.actor)),
      );
    },
  };
}

export type TransferActivities = ReturnType<typeof createTransferActivities>;
