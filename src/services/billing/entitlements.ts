import type { EntityManager } from '@mikro-orm/postgresql';
import { SubscriptionStatus, Tier } from '../../entities/enums.js';
import type { CacheBus } from '../../cache/cache-bus.js';
import { InvalidatingCache } from '../../cache/invalidating-cache.js';
import { PLANS, UNLIMITED, highestTier, type TierLimits } from '../../plans.js';

/** A PAST_DUE subscription keeps its plan this long after the first failed payment. */
export const PAST_DUE_GRACE_MS = 7 * 24 * 3600 * 1000;

export interface Entitlement {
  tier: Tier;
  limits: TierLimits;
  /** The self-hosted owner: no limits, no rate-limit headers. */
  owner: boolean;
}

export const OWNER_ENTITLEMENT: Entitlement = { tier: Tier.TEAM, limits: UNLIMITED, owner: true };

export interface EntitlementSource {
  /** The subscription's or the grant's id. */
  id: string;
  kind: 'subscription' | 'grant';
  tier: Tier;
  status: SubscriptionStatus | null;
  /** Subscriptions: current period end; grants: expiry. */
  until: Date | null;
  pastDueSince: Date | null;
}

/**
 * Until when a subscription or grant entitles its tier: null = open-ended, a past date = not entitled.
 * ACTIVE subscriptions stay entitled until the provider says otherwise (renewals move the period end).
 */
export function entitledUntil(source: EntitlementSource): Date | null {
  if (source.kind === 'grant') return source.until;
  switch (source.status) {
    case SubscriptionStatus.ACTIVE:
      return null;
    case SubscriptionStatus.PAST_DUE:
      return new Date((source.pastDueSince?.getTime() ?? 0) + PAST_DUE_GRACE_MS);
    case SubscriptionStatus.CANCELED:
      return source.until ?? new Date(0);
    default:
      return new Date(0);
  }
}

/** The effective tier (docs/api.md) and how long that answer stays true. */
export function resolveEntitlement(sources: EntitlementSource[], now = Date.now()): { tier: Tier; validForMs: number } {
  const tiers: Tier[] = [];
  let nextChange = Infinity;
  for (const source of sources) {
    const until = entitledUntil(source)?.getTime() ?? Infinity;
    if (until <= now) continue;
    tiers.push(source.tier);
    nextChange = Math.min(nextChange, until - now);
  }
  return { tier: highestTier(tiers), validForMs: nextChange };
}

/**
 * The rows behind a user's effective tier: their subscriptions that are not EXPIRED and their live
 * grants. `user` is a SQL expression for the user's id (no placeholders: it appears twice).
 */
export function entitlementSourcesSql(user: string): string {
  return `select id, 'subscription' as kind, tier, status, current_period_end as until, past_due_since
            from subscriptions where user_id = ${user} and status <> 'EXPIRED'
          union all
          select id, 'grant', tier, null, expires_at, null
            from grants where user_id = ${user} and revoked_at is null and (expires_at is null or expires_at > now())`;
}

/** One row of `entitlementSourcesSql` (timestamps as the driver or `json_agg` gives them: strings). */
export function toEntitlementSource(r: { id: string; kind: 'subscription' | 'grant'; tier: Tier; status: SubscriptionStatus | null; until: string | null; past_due_since: string | null }): EntitlementSource {
  const toDate = (value: string | null) => (value === null ? null : new Date(value));
  return { id: r.id, kind: r.kind, tier: r.tier, status: r.status, until: toDate(r.until), pastDueSince: toDate(r.past_due_since) };
}

export async function loadEntitlementSources(em: EntityManager, userId: string): Promise<EntitlementSource[]> {
  const rows: Parameters<typeof toEntitlementSource>[0][] = await em.execute(`with who as (select ?::uuid as id) ${entitlementSourcesSql('(select id from who)')}`, [userId]);
  return rows.map(toEntitlementSource);
}

/**
 * `sources` after one of them changed within a transaction: the source with `next`'s id is replaced
 * by `next` (or added), so the tier after a change needs no second read.
 */
export function withSource(sources: EntitlementSource[], next: EntitlementSource): EntitlementSource[] {
  return [...sources.filter((s) => s.id !== next.id), next];
}

/**
 * Effective tiers, cached per user on each instance. Whoever changes a subscription or a grant
 * calls `changed(userId)` after committing, which reaches every instance through the bus.
 */
export class Entitlements {
  private readonly cache: InvalidatingCache<Tier>;

  constructor(private readonly bus: CacheBus, private readonly forkEm: () => EntityManager) {
    this.cache = new InvalidatingCache<Tier>(bus, 'entitlement', { ttlMs: 60_000, maxEntries: 100_000 });
  }

  async tierOf(userId: string): Promise<Tier> {
    return this.cache.get(userId, async () => {
      const { tier, validForMs } = resolveEntitlement(await loadEntitlementSources(this.forkEm(), userId));
      return { value: tier, maxAgeMs: validForMs };
    });
  }

  async forUser(userId: string): Promise<Entitlement> {
    const tier = await this.tierOf(userId);
    return { tier, limits: PLANS[tier].limits, owner: false };
  }

  async changed(userId: string): Promise<void> {
    await this.bus.publish({ topic: 'entitlement', id: userId });
  }
}
