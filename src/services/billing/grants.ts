import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Tier } from '../../entities/enums.js';
import { badInput, notFound } from '../../errors.js';
import type { BillingDeps } from './deps.js';
import { findUserByEmail, normalizeEmail } from '../accounts/accounts.js';
import { isUuid } from '../accounts/api-keys.js';
import { loadEntitlementSources, resolveEntitlement, withSource, type EntitlementSource } from './entitlements.js';
import { recordAudit } from './subscription-state.js';

/**
 * Manual plans (`adminGrantTier`, `adminRevokeGrant`): a grant entitles its tier until it expires or
 * is revoked, whatever the user's subscriptions do. Every grant and revocation writes an audit row
 * with the reason and the effective tier before and after, and every instance drops the user's
 * cached tier, so the change holds from the next request.
 */

export interface GrantView {
  id: string;
  userId: string;
  tier: Tier;
  expiresAt: Date | null;
  reason: string;
  createdAt: Date;
  revokedAt: Date | null;
}

type Row = Record<string, unknown>;
const toDate = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));
const toGrantView = (row: Row): GrantView => ({
  id: row.id as string,
  userId: row.user_id as string,
  tier: row.tier as Tier,
  expiresAt: toDate(row.expires_at),
  reason: row.reason as string,
  createdAt: toDate(row.created_at)!,
  revokedAt: toDate(row.revoked_at),
});

/** What a grant entitles until it expires. */
const grantSource = (grant: GrantView): EntitlementSource => ({ id: grant.id, kind: 'grant', tier: grant.tier, status: null, until: grant.expiresAt, pastDueSince: null });

const MAX_REASON = 500;

function reasonOf(raw: string): string {
  const reason = raw.trim();
  if (reason.length === 0 || reason.length > MAX_REASON) throw badInput('reason', `A reason of 1 to ${MAX_REASON} characters is required`);
  return reason;
}

export interface GrantTierInput {
  email: string;
  tier: Tier;
  expiresAt?: Date | null;
  reason: string;
}

export async function grantTier(deps: Pick<BillingDeps, 'entitlements'>, em: EntityManager, input: GrantTierInput): Promise<GrantView> {
  const email = normalizeEmail(input.email);
  const reason = reasonOf(input.reason);
  if (input.tier === Tier.FREE) throw badInput('tier', 'Every account has FREE; grant PRO or TEAM');
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) throw badInput('expiresAt', 'expiresAt must be in the future');
  const user = await findUserByEmail(em, email);
  if (!user) throw notFound('User');
  const grant = await em.transactional(async (tx) => {
    const sources = await loadEntitlementSources(tx, user.id);
    const [row] = await tx.execute<Row[]>(`insert into grants (id, user_id, tier, expires_at, reason) values (?, ?, ?, ?, ?) returning *`, [
      randomUUID(),
      user.id,
      input.tier,
      expiresAt,
      reason,
    ]);
    const view = toGrantView(row!);
    await recordAudit(tx, {
      userId: user.id,
      grantId: view.id,
      type: 'GRANT_CREATED',
      source: 'admin',
      tierBefore: resolveEntitlement(sources).tier,
      tierAfter: resolveEntitlement(withSource(sources, grantSource(view))).tier,
      payload: { tier: view.tier, expiresAt: view.expiresAt, reason },
    });
    return view;
  });
  await deps.entitlements.changed(user.id);
  return grant;
}

/** Revokes a grant at once; revoking one already revoked changes nothing and answers it as it is. */
export async function revokeGrant(deps: Pick<BillingDeps, 'entitlements'>, em: EntityManager, id: string, rawReason: string): Promise<GrantView> {
  const reason = reasonOf(rawReason);
  if (!isUuid(id)) throw notFound('Grant');
  const result = await em.transactional(async (tx) => {
    const [current] = await tx.execute<Row[]>(`select * from grants where id = ? for update`, [id]);
    if (!current) throw notFound('Grant');
    if (current.revoked_at) return { view: toGrantView(current), changed: false };
    const userId = current.user_id as string;
    const sources = await loadEntitlementSources(tx, userId);
    const [row] = await tx.execute<Row[]>(`update grants set revoked_at = now(), revoke_reason = ? where id = ? returning *`, [reason, id]);
    const view = toGrantView(row!);
    await recordAudit(tx, {
      userId,
      grantId: id,
      type: 'GRANT_REVOKED',
      source: 'admin',
      tierBefore: resolveEntitlement(sources).tier,
      tierAfter: resolveEntitlement(sources.filter((source) => source.id !== id)).tier,
      payload: { reason },
    });
    return { view, changed: true };
  });
  if (result.changed) await deps.entitlements.changed(result.view.userId);
  return result.view;
}
