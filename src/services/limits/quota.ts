import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../../entities/enums.js';
import { quotaExceeded } from '../../errors.js';
import type { Entitlement } from '../billing/entitlements.js';
import { limitFor, quotaMessage } from '../../plans.js';

/**
 * Quotas (`@quota`, docs/api.md): one counter row per user and resource, changed inside the same
 * transaction as the write it pays for. The conditional upsert takes the row lock and re-checks the
 * cap on the newest value, so concurrent writers from any number of instances never pass the cap;
 * a rollback returns the units with the write.
 */

export interface QuotaCheck {
  entitlement: Entitlement;
  publicUrl: string;
}

function exceeded(resource: QuotaResource, { entitlement, publicUrl }: QuotaCheck, used: number, limit: number) {
  const { upgradeTier, message } = quotaMessage(resource, entitlement.tier, used, limit, publicUrl);
  return quotaExceeded({ resource, limit, used, upgradeTier, message });
}

/**
 * The conditional upsert behind every reservation, also usable inside a larger statement (a store
 * counts its memory in the statement that inserts it). `rows` yields (user_id, resource, amount);
 * it returns the new `used`, or no row when the amount does not fit under `limit` (null: no limit).
 */
export function takeQuotaSql(rows: string, limit: number | null): string {
  return `insert into quota_counters (user_id, resource, used) ${rows}
    on conflict (user_id, resource) do update set used = quota_counters.used + excluded.used
    ${limit === null ? '' : `where quota_counters.used + excluded.used <= ${Math.trunc(limit)}`}
    returning used`;
}

/**
 * SQLSTATE of `refuse_over_quota(resource)` (migration 3): a statement that inserts and counts in
 * one go calls it to abort itself, insert included, when `takeQuotaSql` refused.
 */
export const QUOTA_REFUSED_SQLSTATE = 'QX001';

export const isQuotaRefusal = (err: unknown) => (err as { code?: unknown } | null)?.code === QUOTA_REFUSED_SQLSTATE;

/** The QUOTA_EXCEEDED answer, with the units used now. */
export async function quotaRefusal(em: EntityManager, userId: string, resource: QuotaResource, check: QuotaCheck) {
  return exceeded(resource, check, await quotaUsed(em, userId, resource), limitFor(check.entitlement.limits, resource) ?? Infinity);
}

/** Takes `amount` units or throws QUOTA_EXCEEDED. Call inside the write's transaction. */
export async function reserveQuota(em: EntityManager, userId: string, resource: QuotaResource, amount: number, check: QuotaCheck): Promise<number> {
  const limit = limitFor(check.entitlement.limits, resource);
  if (limit === null || amount <= limit) {
    const [row] = await em.execute<{ used: number }[]>(takeQuotaSql('values (?, ?, ?)', limit), [userId, resource, amount]);
    if (row) return row.used;
  }
  throw await quotaRefusal(em, userId, resource, check);
}

/** Counts units without a cap (no limit, or what always exists such as the `default` agent). In the write's transaction. */
export async function addQuotaUsed(em: EntityManager, userId: string, resource: QuotaResource, amount: number): Promise<number> {
  const [row] = await em.execute<{ used: number }[]>(takeQuotaSql('values (?, ?, ?)', null), [userId, resource, amount]);
  return row!.used;
}

/** Locks the user's counter row for the rest of the transaction (creating it at 0) and returns what it holds. */
export async function lockQuotaRow(em: EntityManager, userId: string, resource: QuotaResource): Promise<number> {
  const [row] = await em.execute<{ used: number }[]>(
    `insert into quota_counters (user_id, resource, used) values (?, ?, 0)
     on conflict (user_id, resource) do update set used = quota_counters.used
     returning used`,
    [userId, resource],
  );
  return row!.used;
}

/** Gives units back after a delete, in the delete's transaction. */
export async function releaseQuota(em: EntityManager, userId: string, resource: QuotaResource, amount: number): Promise<void> {
  if (amount <= 0) return;
  await em.execute(`update quota_counters set used = greatest(used - ?, 0) where user_id = ? and resource = ?`, [amount, userId, resource]);
}

/** Sets a counter to an exact value (account creation, recovery). */
export async function setQuotaUsed(em: EntityManager, userId: string, resource: QuotaResource, used: number): Promise<void> {
  await em.execute(
    `insert into quota_counters (user_id, resource, used) values (?, ?, ?)
     on conflict (user_id, resource) do update set used = excluded.used`,
    [userId, resource, used],
  );
}

export async function quotaUsed(em: EntityManager, userId: string, resource: QuotaResource): Promise<number> {
  const [row] = await em.execute<{ used: number }[]>(`select used from quota_counters where user_id = ? and resource = ?`, [userId, resource]);
  return row?.used ?? 0;
}

export async function allQuotaUsed(em: EntityManager, userId: string): Promise<Record<QuotaResource, number>> {
  const rows = await em.execute<{ resource: QuotaResource; used: number }[]>(`select resource, used from quota_counters where user_id = ?`, [userId]);
  const used = { [QuotaResource.MEMORIES]: 0, [QuotaResource.AGENTS]: 0, [QuotaResource.API_KEYS]: 0 };
  for (const row of rows) used[row.resource] = row.used;
  return used;
}
