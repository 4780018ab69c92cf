import { randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey } from '../../entities/ApiKey.js';
import { QuotaResource } from '../../entities/enums.js';
import { badInput, notFound } from '../../errors.js';
import type { CacheBus } from '../../cache/cache-bus.js';
import { releaseQuota, reserveQuota, type QuotaCheck } from '../limits/quota.js';
import { sha256Hex } from '../../crypto.js';

/**
 * API keys (docs/api.md): `sk-stellar-` + 32 lowercase hex characters from the CSPRNG. Only the
 * SHA-256 digest is stored; the secret is returned once, by the call that creates it.
 */

export const KEY_PREFIX = 'sk-stellar-';
export const KEY_PATTERN = /^sk-stellar-[0-9a-f]{32}$/;

export interface CreatedApiKey {
  apiKey: ApiKey;
  secret: string;
}

export function normalizeKeyName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 64) throw badInput('name', 'Key name must be 1 to 64 characters');
  return name;
}

/** Inserts a new key without a quota check: callers own the counter (registration, rotation, recovery). */
export async function issueApiKey(em: EntityManager, userId: string, name: string): Promise<CreatedApiKey> {
  const secret = KEY_PREFIX + randomBytes(16).toString('hex');
  const apiKey = em.create(ApiKey, {
    userId,
    name,
    keyHash: sha256Hex(secret),
    prefix: secret.slice(0, 15),
    lastFour: secret.slice(-4),
  });
  await em.persist(apiKey).flush();
  return { apiKey, secret };
}

/** Revoked keys stay listed (and stored) this long, so an owner can see what was revoked and when. */
export const REVOKED_KEYS_KEPT_MS = 30 * 86_400_000;
/** The newest revoked keys listed at most: rotation is budgeted per minute, but a month is long. */
const MAX_REVOKED_LISTED = 100;

/** The active keys and those revoked in the last 30 days (the newest 100 of those), oldest first. */
export async function listApiKeys(em: EntityManager, userId: string, now = Date.now()): Promise<ApiKey[]> {
  const active = await em.find(ApiKey, { userId, revokedAt: null });
  const revoked = await em.find(
    ApiKey,
    { userId, revokedAt: { $gt: new Date(now - REVOKED_KEYS_KEPT_MS) } },
    { orderBy: { revokedAt: 'desc', id: 'desc' }, limit: MAX_REVOKED_LISTED },
  );
  const byAge = (a: ApiKey, b: ApiKey) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);
  return [...active, ...revoked].sort(byAge);
}

/** Deletes keys revoked more than 30 days ago (a scheduled job; a deleted key authenticates no more than a revoked one). */
export async function pruneRevokedKeys(em: EntityManager, now = Date.now()): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(`delete from api_keys where revoked_at < ? returning id`, [new Date(now - REVOKED_KEYS_KEPT_MS)]);
  return rows.length;
}

/**
 * Records that these keys were used. Requests only note their key in memory (src/services/accounts/
 * authentication.ts); a flush writes them here, at most once a minute per key.
 */
export async function markKeysUsed(em: EntityManager, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await em.execute(
    `update api_keys set last_used_at = now()
     where id in (${ids.map(() => '?').join(', ')})
       and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    ids,
  );
}

export async function createApiKey(em: EntityManager, userId: string, quota: QuotaCheck, rawName: string): Promise<CreatedApiKey> {
  const name = normalizeKeyName(rawName);
  return em.transactional(async (tx) => {
    await reserveQuota(tx, userId, QuotaResource.API_KEYS, 1, quota);
    return issueApiKey(tx, userId, name);
  });
}

async function findOwnKeyForUpdate(tx: EntityManager, userId: string, id: string): Promise<ApiKey> {
  // Another user's id answers exactly like a missing one: existence is never revealed.
  const key = await tx.findOne(ApiKey, { id, userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!key) throw notFound('API key');
  return key;
}

/** Immediate on every instance: the key's cache entry is dropped everywhere after the commit. */
export async function revokeApiKey(em: EntityManager, bus: CacheBus, userId: string, id: string): Promise<ApiKey> {
  assertUuid(id);
  const { key, announce } = await em.transactional(async (tx) => {
    const found = await findOwnKeyForUpdate(tx, userId, id);
    if (!found.revokedAt) {
      found.revokedAt = new Date();
      await releaseQuota(tx, userId, QuotaResource.API_KEYS, 1);
    }
    // Announced again for a key already revoked: harmless, and a lost first announcement is healed.
    return { key: found, announce: await bus.publishWithin(tx, { topic: 'key', id: found.keyHash }) };
  });
  await announce();
  return key;
}

/** A new secret under the same name; the old one is revoked in the same transaction. */
export async function rotateApiKey(em: EntityManager, bus: CacheBus, userId: string, id: string): Promise<CreatedApiKey> {
  assertUuid(id);
  const { created, announce } = await em.transactional(async (tx) => {
    const old = await findOwnKeyForUpdate(tx, userId, id);
    if (old.revokedAt) throw badInput('id', 'This API key is revoked; create a new one instead');
    old.revokedAt = new Date();
    return { created: await issueApiKey(tx, userId, old.name), announce: await bus.publishWithin(tx, { topic: 'key', id: old.keyHash }) };
  });
  await announce();
  return created;
}

/**
 * Revokes every live key of a user (key recovery) and announces each within `tx`; returns what
 * to call once `tx` committed.
 */
export async function revokeAllApiKeys(tx: EntityManager, bus: CacheBus, userId: string): Promise<() => Promise<void>> {
  const rows = await tx.execute<{ key_hash: string }[]>(
    `update api_keys set revoked_at = now() where user_id = ? and revoked_at is null returning key_hash`,
    [userId],
  );
  const announcements: (() => Promise<void>)[] = [];
  for (const row of rows) announcements.push(await bus.publishWithin(tx, { topic: 'key', id: row.key_hash }));
  return async () => {
    for (const announce of announcements) await announce();
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (id: string) => UUID.test(id);

/** Ids are UUIDs; anything else cannot exist, so it is simply not found. */
export function assertUuid(id: string, what = 'API key'): void {
  if (!isUuid(id)) throw notFound(what);
}
