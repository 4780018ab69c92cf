import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, Tier, WebhookOutcome } from '../../entities/enums.js';
import { PAST_DUE_GRACE_MS } from './entitlements.js';
import { TIER_ORDER } from '../../plans.js';

/**
 * `adminMetrics`: the operator's view of the business, computed in SQL with the same entitlement
 * rules as `src/services/billing/entitlements.ts` (ACTIVE; PAST_DUE within the grace period; CANCELED before
 * its period end; unexpired, unrevoked grants).
 */

export interface AdminMetrics {
  usersByTier: { tier: Tier; count: number }[];
  activeSubscriptions: { provider: Provider; tier: Tier; count: number }[];
  monthlyRecurringRevenue: { amount: number; currency: string }[];
  webhookOutcomes24h: { outcome: WebhookOutcome; count: number }[];
}

const GRACE = `interval '${PAST_DUE_GRACE_MS / 1000} seconds'`;

/** A subscription that will renew: ACTIVE, or PAST_DUE within the grace period. */
const RENEWING = `(status = 'ACTIVE' or (status = 'PAST_DUE' and past_due_since > now() - ${GRACE}))`;
/** A subscription that entitles its tier now. */
const ENTITLED = `(${RENEWING} or (status = 'CANCELED' and current_period_end > now()))`;
/** A tier's place in TIER_ORDER. */
const RANK = `case tier ${TIER_ORDER.map((tier, i) => `when '${tier}' then ${i}`).join(' ')} else 0 end`;

export async function adminMetrics(em: EntityManager): Promise<AdminMetrics> {
  const users = await em.execute<{ rank: number; count: number }[]>(
    `with sources as (
       select user_id, ${RANK} as rank from subscriptions where ${ENTITLED}
       union all
       select user_id, ${RANK} from grants where revoked_at is null and (expires_at is null or expires_at > now())
     )
     select coalesce(best.rank, 0) as rank, count(*)::int as count
     from users u left join (select user_id, max(rank) as rank from sources group by user_id) best on best.user_id = u.id
     group by 1`,
  );
  const subscriptions = await em.execute<{ provider: Provider; tier: Tier; count: number }[]>(
    `select provider, tier, count(*)::int as count from subscriptions where ${ENTITLED} group by provider, tier order by provider, tier`,
  );
  const revenue = await em.execute<{ currency: string; amount: number }[]>(
    `select currency, sum(amount)::int as amount from subscriptions
     where ${RENEWING} and not cancel_at_period_end
       and amount is not null and currency is not null
     group by currency order by currency`,
  );
  const outcomes = await em.execute<{ outcome: WebhookOutcome; count: number }[]>(
    `select outcome, count(*)::int as count from webhook_events where received_at > now() - interval '24 hours' group by outcome`,
  );
  const byRank = new Map(users.map((r) => [Number(r.rank), r.count]));
  const byOutcome = new Map(outcomes.map((r) => [r.outcome, r.count]));
  return {
    usersByTier: TIER_ORDER.map((tier, i) => ({ tier, count: byRank.get(i) ?? 0 })),
    activeSubscriptions: subscriptions,
    monthlyRecurringRevenue: revenue.map((r) => ({ currency: r.currency, amount: r.amount })),
    webhookOutcomes24h: Object.values(WebhookOutcome).map((outcome) => ({ outcome, count: byOutcome.get(outcome) ?? 0 })),
  };
}
