import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../../entities/enums.js';
import type { Entitlement } from '../billing/entitlements.js';
import { allQuotaUsed } from './quota.js';
import { WINDOW_MS, type WindowState } from './rate-limiter.js';
import { periodOf, readUsage, type UsageMeter } from './usage.js';

/**
 * The `usage` query: live counts and limits, the current rate-limit window, and this month's
 * metered totals (flushed rows plus what this instance has not flushed yet).
 */
export async function usageReport(
  em: EntityManager,
  meter: UsageMeter,
  userId: string,
  entitlement: Entitlement,
  window: WindowState | null,
  now = new Date(),
) {
  const period = periodOf(now);
  const [used, stored] = await Promise.all([allQuotaUsed(em, userId), readUsage(em, userId, period)]);
  const pending = meter.unflushed(userId, period);
  return {
    tier: entitlement.tier,
    limits: entitlement.limits,
    memories: used[QuotaResource.MEMORIES],
    agents: used[QuotaResource.AGENTS],
    apiKeys: used[QuotaResource.API_KEYS],
    requestsThisMinute: entitlement.owner ? 0 : (window?.used ?? 0),
    rateLimitResetAt: window?.resetAt ?? new Date(Math.floor(now.getTime() / WINDOW_MS) * WINDOW_MS + WINDOW_MS),
    periodStart: new Date(`${period}T00:00:00Z`),
    requestsThisPeriod: stored.requests + pending.requests,
    storesThisPeriod: stored.stores + pending.stores,
    recallsThisPeriod: stored.recalls + pending.recalls,
  };
}
