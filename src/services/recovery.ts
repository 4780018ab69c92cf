import { randomInt } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { QuotaResource } from '../entities/enums.js';
import { RecoveryCode } from '../entities/RecoveryCode.js';
import { User } from '../entities/User.js';
import { badInput } from '../errors.js';
import { issueApiKey, revokeAllApiKeys, type CreatedApiKey } from './api-keys.js';
import { normalizeEmail } from './accounts.js';
import type { CacheBus } from './cache-bus.js';
import type { Mailer } from './mailer.js';
import { setQuotaUsed } from './quota.js';
import { constantTimeEqual, sha256Hex } from './secrets.js';

/**
 * Key recovery by mail (SPEC §5). A 6-digit code, valid 15 minutes, 5 attempts, stored hashed.
 * A successful recovery revokes every existing key of the account (they are presumed lost or
 * leaked) and issues one new key, so the account never ends above its key cap.
 */

export const RECOVERY_TTL_MS = 15 * 60_000;
export const RECOVERY_MAX_ATTEMPTS = 5;
/** A new code is mailed at most this often per account, so the endpoint cannot flood an inbox. */
export const RECOVERY_RESEND_MS = 60_000;

const codeHash = (userId: string, code: string) => sha256Hex(`${userId}:${code}`);
const invalidCode = () => badInput('code', 'The recovery code is invalid or has expired; request a new one');

export interface RecoveryDeps {
  mailer: Mailer;
  bus: CacheBus;
  logger: Logger;
}

/** Always true, whether or not the email has an account (no account probing). */
export async function requestApiKeyRecovery(em: EntityManager, deps: RecoveryDeps, rawEmail: string): Promise<boolean> {
  const email = normalizeEmail(rawEmail);
  const user = await em.findOne(User, { email });
  if (!user) return true;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const issued = await em.execute<{ user_id: string }[]>(
    `insert into recovery_codes (user_id, code_hash, expires_at, attempts, created_at)
     values (?, ?, now() + make_interval(secs => ?), 0, now())
     on conflict (user_id) do update
       set code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0, created_at = now()
       where recovery_codes.created_at < now() - make_interval(secs => ?)
     returning user_id`,
    [user.id, codeHash(user.id, code), RECOVERY_TTL_MS / 1000, RECOVERY_RESEND_MS / 1000],
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
    const record = await tx.findOne(RecoveryCode, { userId: user.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!record || record.expiresAt.getTime() <= Date.now() || record.attempts >= RECOVERY_MAX_ATTEMPTS) return null;
    if (!constantTimeEqual(record.codeHash, codeHash(user.id, code))) {
      record.attempts += 1; // committed: wrong guesses count even though the call fails
      return null;
    }
    tx.remove(record);
    const revoked = await revokeAllApiKeys(tx, user.id);
    const created = await issueApiKey(tx, user.id, 'recovered');
    await setQuotaUsed(tx, user.id, QuotaResource.API_KEYS, 1);
    return { created, revoked };
  });
  if (!outcome) throw invalidCode();
  for (const hash of outcome.revoked) await deps.bus.publish({ topic: 'key', id: hash });
  return outcome.created;
}
