import { randomInt } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { QuotaResource } from '../../entities/enums.js';
import { User } from '../../entities/User.js';
import { badInput } from '../../errors.js';
import { issueApiKey, revokeAllApiKeys, type CreatedApiKey } from './api-keys.js';
import { normalizeEmail } from './accounts.js';
import type { CacheBus } from '../../cache/cache-bus.js';
import type { Mailer } from './mailer.js';
import { setQuotaUsed } from '../limits/quota.js';
import { constantTimeEqual, sha256Hex } from '../../crypto.js';

/**
 * Key recovery by mail (docs/api.md). A 6-digit code, valid 15 minutes, 5 attempts, stored hashed.
 * A successful recovery revokes every existing key of the account (they are presumed lost or
 * leaked) and issues one new key, so the account never ends above its key cap.
 *
 * Failed attempts also count per account across codes (a new code keeps them): 10 within 24 hours
 * lock the account's recovery for 24 hours, so re-requesting codes never buys fresh guesses. While
 * locked, requests answer true and mail nothing, and every code (the right one too) is refused
 * exactly like a wrong one: the answers never tell an attacker that the lock is on
 * (docs/security.md).
 */

export const RECOVERY_TTL_MS = 15 * 60_000;
export const RECOVERY_MAX_ATTEMPTS = 5;
/** A new code is mailed at most this often per account, so the endpoint cannot flood an inbox. */
export const RECOVERY_RESEND_MS = 60_000;
/** Failures of one account, across codes, within this window lock its recovery... */
export const RECOVERY_FAILURE_WINDOW_MS = 24 * 3600_000;
export const RECOVERY_MAX_FAILURES = 10;
/** ...for this long. */
export const RECOVERY_LOCK_MS = 24 * 3600_000;

const codeHash = (userId: string, code: string) => sha256Hex(`${userId}:${code}`);
const invalidCode = () => badInput('code', 'The recovery code is invalid or has expired; request a new one');

export interface RecoveryDeps {
  mailer: Mailer;
  bus: CacheBus;
  logger: Logger;
  clock: Clock;
}

/** Always true, whether or not the email has an account (no account probing). */
export async function requestApiKeyRecovery(em: EntityManager, deps: RecoveryDeps, rawEmail: string): Promise<boolean> {
  const email = normalizeEmail(rawEmail);
  const user = await em.findOne(User, { email });
  if (!user) return true;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const now = deps.clock.now();
  const issued = await em.execute<{ user_id: string }[]>(
    `insert into recovery_codes (user_id, code_hash, expires_at, attempts, created_at)
     values (?, ?, ?, 0, ?)
     on conflict (user_id) do update
       set code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0, created_at = excluded.created_at
       where recovery_codes.created_at < ? and (recovery_codes.locked_until is null or recovery_codes.locked_until <= ?)
     returning user_id`,
    [user.id, codeHash(user.id, code), new Date(now + RECOVERY_TTL_MS), new Date(now), new Date(now - RECOVERY_RESEND_MS), new Date(now)],
  );
  if (issued.length === 0) return true;
  try {
    await deps.mailer.send({
      to: email,
      subject: 'Your Stellar Memory recovery code',
      text: `Your recovery code is ${code}. It is valid for 15 minutes.\n\nUsing it revokes your existing API keys and issues a new one.\nIf you did not ask for it, ignore this mail.`,
    });
  } catch (err) {
    deps.logger.error({ err, userId: user.id }, 'recovery mail could not be sent');
  }
  return true;
}

export async function recoverApiKey(em: EntityManager, deps: RecoveryDeps, rawEmail: string, rawCode: string): Promise<CreatedApiKey> {
  const email = normalizeEmail(rawEmail);
  const code = rawCode.trim();
  if (!/^\d{6}$/.test(code)) throw invalidCode();

  const outcome = await em.transactional(async (tx) => {
    const user = await tx.findOne(User, { email });
    if (!user) return null;
    const now = new Date(deps.clock.now());
    const [record] = await tx.execute<{ code_hash: string; usable: boolean }[]>(
      `select code_hash, (expires_at > ? and attempts < ? and (locked_until is null or locked_until <= ?)) as usable
       from recovery_codes where user_id = ? for update`,
      [now, RECOVERY_MAX_ATTEMPTS, now, user.id],
    );
    if (!record?.usable) return null;
    if (!constantTimeEqual(record.code_hash, codeHash(user.id, code))) {
      await recordFailure(tx, user.id, now); // committed: wrong guesses count even though the call fails
      return null;
    }
    await tx.execute(`delete from recovery_codes where user_id = ?`, [user.id]);
    const announce = await revokeAllApiKeys(tx, deps.bus, user.id);
    const created = await issueApiKey(tx, user.id, 'recovered');
    await setQuotaUsed(tx, user.id, QuotaResource.API_KEYS, 1);
    return { created, announce };
  });
  if (!outcome) throw invalidCode();
  await outcome.announce();
  return outcome.created;
}

/**
 * One more failed attempt on the live code, and on the account: the failures of the last 24 hours
 * are kept (older ones dropped); the 10th locks recovery for 24 hours and starts the count afresh.
 */
async function recordFailure(tx: EntityManager, userId: string, now: Date): Promise<void> {
  await tx.execute(
    `with counted as (
       select array(select t from unnest(recent_failures) t where t > ?::timestamptz) || ?::timestamptz as failures
       from recovery_codes where user_id = ?
     )
     update recovery_codes r set
       attempts = r.attempts + 1,
       recent_failures = case when cardinality(counted.failures) >= ? then '{}'::timestamptz[] else counted.failures end,
       locked_until = case when cardinality(counted.failures) >= ? then ?::timestamptz else r.locked_until end
     from counted where r.user_id = ?`,
    [new Date(now.getTime() - RECOVERY_FAILURE_WINDOW_MS), now, userId, RECOVERY_MAX_FAILURES, RECOVERY_MAX_FAILURES, new Date(now.getTime() + RECOVERY_LOCK_MS), userId],
  );
}
