// Cold-chain activities for workflows: the temperature record of a delivery (the van over the
// dispatch → delivered window), for the order workflow to attach to the order.
import type { Db } from '../db/pool';
import { ProfileCache, assetColdChainReport } from '../coldchain';
import type { ColdChainReport } from '../coldchain';
import type { Logger } from '../platform/logger';

/** The cold-chain activities. */
export function createAlertingActivities(deps: { db: Db; logger: Logger }) {
  const profiles = new ProfileCache(deps.db, deps.logger);
  return {
    /**
     * MKT and time out of band of an asset or van over a window (epoch ms); null when the
     * asset is unknown. For a delivery: the van's id and the dispatch → delivered window.
     */
    async coldChainReport(input: { assetId: string; from: number; to: number }): Promise<ColdChainReport | null> {
      await profiles.refreshIfStale();
      return assetColdChainReport(deps.db.pool, (id) => profiles.resolve(id), input.assetId, {
        from: input.from,
        to: input.to,
      });
    },
  };
}
