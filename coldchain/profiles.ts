// Rule profiles: the built-in ones (domain/coldchain/bands.ts) plus custom ones stored in
// alert_rule_profiles, validated on load. An asset names its profile in assets.band.
import { loadCustomProfiles } from '../db/alerts';
import type { Db } from '../db/pool';
import { profileById, validateProfile } from '../domain/coldchain/bands';
import type { RuleProfile } from '../domain/coldchain/bands';
import type { Logger } from '../platform/logger';

/**
 * Cached profiles, reloaded every `refreshMs`, and at most once per `missReloadMs` when an
 * unknown id is asked for (a profile created a moment ago is used without a restart).
 */
export class ProfileCache {
  private custom: Record<string, RuleProfile> = {};
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly refreshMs = 30_000,
    private readonly missReloadMs = 1_000,
  ) {}

  /** (Re)load the custom profiles; an invalid one is logged and skipped, never used. */
  load(): Promise<void> {
    this.loading ??= loadCustomProfiles(this.db)
      .then((rows) => {
        const next: Record<string, RuleProfile> = {};
        for (const row of rows) {
          const v = validateProfile(row.profile);
          if (v.ok && v.profile.id === row.id) next[row.id] = v.profile;
          else
            this.logger.error(
              { profileId: row.id, errors: v.ok ? ['id does not match the row'] : v.errors },
              'invalid rule profile ignored',
            );
        }
        this.custom = next;
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** Reload when the cache is older than the refresh period. */
  async refreshIfStale(): Promise<void> {
    if (Date.now() - this.loadedAt >= this.refreshMs) await this.load();
  }

  /** The profile, reloading once if the id is unknown; null when it exists nowhere. */
  async resolve(id: string): Promise<RuleProfile | null> {
    const hit = profileById(id, this.custom);
    if (hit || Date.now() - this.loadedAt < this.missReloadMs) return hit;
    await this.load();
    return profileById(id, this.custom);
  }
}
