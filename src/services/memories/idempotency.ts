import type { EntityManager } from '@mikro-orm/postgresql';
import { sha256Hex } from '../../crypto.js';
import { badInput } from '../../errors.js';
import { MEMORY_COLUMNS, NOT_EXPIRED, RECALLS_JOIN, toMemoryView, type MemoryRow } from './memory-rows.js';
import { compareText, type NewMemory, type StoredMemory } from './store-rows.js';

/**
 * Idempotency keys of stores: a retry with the same key and the same input within the window gets
 * the first answer; the same key with another input is refused. The key is claimed in the store's
 * own transaction, so the answer and the memory commit together.
 */

/** An idempotency key answers with the first result for this long. */
export const IDEMPOTENCY_WINDOW = '24 hours';


/** Every field of the normalized input: a retry must be the same request to get the first answer. */
export function requestHash(item: NewMemory): string {
  const { idempotency: _key, id: _id, expiresAt, occurredAt, ...rest } = item;
  return sha256Hex(canonicalJson({ ...rest, expiresAt: expiresAt?.toISOString() ?? null, occurredAt: occurredAt?.toISOString() ?? null }));
}

/** JSON with object keys sorted, so equal inputs hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Takes the key for this store (new, or older than the window), or answers a retry with the first
 * result. A concurrent request holding the key makes this wait for its commit, then replay it.
 * The same key with a different input is refused; a first result that is gone (forgotten, expired)
 * is stored again under the key.
 */
export async function claimIdempotencyKey(tx: EntityManager, userId: string, { key, hash, field }: { key: string; hash: string; field: string }): Promise<StoredMemory | null> {
  const claimed = await tx.execute(
    `insert into memory_idempotency_keys as k (user_id, key, request_hash) values (?, ?, ?)
     on conflict (user_id, key) do update set request_hash = excluded.request_hash, memory_id = null, deduped = false, created_at = now()
       where k.created_at <= now() - interval '${IDEMPOTENCY_WINDOW}'
     returning k.key`,
    [userId, key, hash],
  );
  if (claimed.length > 0) return null;
  const [first] = await tx.execute<(Partial<MemoryRow> & { request_hash: string; deduped: boolean; agent: string | null })[]>(
    `select k.request_hash, k.deduped, ${MEMORY_COLUMNS}, a.name as agent
     from memory_idempotency_keys k
     left join memories m on m.id = k.memory_id and ${NOT_EXPIRED}
     ${RECALLS_JOIN}
     left join agents a on a.id = m.agent_id
     where k.user_id = ? and k.key = ?`,
    [userId, key],
  );
  if (first!.request_hash !== hash) throw badInput(field, 'This idempotency key was used for a different store in the last 24 hours');
  if (first!.id === null || first!.agent === null) return null;
  return { memory: toMemoryView(first as MemoryRow, first!.agent), deduped: first!.deduped };
}

export async function recordIdempotentResult(tx: EntityManager, userId: string, key: string, memoryId: string, deduped: boolean): Promise<void> {
  await tx.execute(`update memory_idempotency_keys set memory_id = ?, deduped = ? where user_id = ? and key = ?`, [memoryId, deduped, userId, key]);
}
