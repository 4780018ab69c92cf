import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../entities/enums.js';
import { badInput } from '../errors.js';
import { agentIdForStore } from './agents.js';
import type { SemanticSearch } from './embeddings.js';
import * as valid from './memory-input.js';
import { MEMORY_COLUMNS, NOT_EXPIRED, placeholders, toMemoryView, type MemoryRow, type MemoryView } from './memory-rows.js';
import { limitFor } from './plans.js';
import { isQuotaRefusal, quotaRefusal, releaseQuota, takeQuotaSql, type QuotaCheck } from './quota.js';
import { sha256Hex } from './secrets.js';
import type { UsageMeter } from './usage.js';
import type { Warn } from './warnings.js';

/**
 * Storing memories (SPEC §7). A store is one transaction: the agent (created on first use, under the
 * AGENTS quota), the insert or deduplication, the idempotency record and the MEMORIES quota commit
 * together or not at all, so the counters always equal the rows and a batch is all or nothing.
 */

export const MAX_STORE_BATCH = 100;
/** An idempotency key answers with the first result for this long. */
export const IDEMPOTENCY_WINDOW = '24 hours';

export interface StoreMemoryInput {
  agent?: string | null;
  content: string;
  importance?: number | null;
  tags?: string[] | null;
  metadata?: Record<string, unknown> | null;
  embedding?: number[] | null;
  expiresAt?: Date | null;
  idempotencyKey?: string | null;
}

export interface StoredMemory {
  memory: MemoryView;
  deduped: boolean;
}

export interface StoreDeps {
  em: EntityManager;
  userId: string;
  quota: QuotaCheck;
  usage: UsageMeter;
  semantic: SemanticSearch;
  warn: Warn;
}

interface NewMemory {
  agent: string;
  content: string;
  importance: number;
  tags: string[];
  metadata: Record<string, unknown> | null;
  embedding: number[] | null;
  expiresAt: Date | null;
  /** The key, and the field that carried it (for the error when it is reused with another input). */
  idempotency: { key: string; field: string } | null;
}

/** `field` names an input's field as the client sent it: `content`, or `inputs[3].content` in a batch. */
function normalize(input: StoreMemoryInput, dim: number, field: (name: string) => string): NewMemory {
  const key = valid.idempotencyKey(input.idempotencyKey, field('idempotencyKey'));
  return {
    agent: valid.agentName(input.agent ?? valid.DEFAULT_AGENT, field('agent')),
    content: valid.content(input.content, field('content')),
    importance: valid.unitInterval(input.importance ?? 0.5, field('importance')),
    tags: valid.tags(input.tags, field('tags')),
    metadata: valid.metadata(input.metadata, field('metadata')),
    embedding: valid.embedding(input.embedding, dim, field('embedding')),
    expiresAt: valid.futureDate(input.expiresAt, field('expiresAt')),
    idempotency: key === null ? null : { key, field: field('idempotencyKey') },
  };
}

export async function storeMemory(deps: StoreDeps, input: StoreMemoryInput): Promise<StoredMemory> {
  const [stored] = await store(deps, [normalize(input, deps.semantic.dim, (name) => name)]);
  return stored!;
}

export async function storeMemories(deps: StoreDeps, inputs: readonly StoreMemoryInput[]): Promise<StoredMemory[]> {
  if (inputs.length > MAX_STORE_BATCH) throw badInput('inputs', `At most ${MAX_STORE_BATCH} memories per call (got ${inputs.length})`);
  return store(deps, inputs.map((input, i) => normalize(input, deps.semantic.dim, (name) => `inputs[${i}].${name}`)));
}

async function store(deps: StoreDeps, items: NewMemory[]): Promise<StoredMemory[]> {
  if (items.length === 0) return [];
  // Embeddings come from an HTTP API: fetched before the transaction, never while it holds locks.
  const vectors = await deps.semantic.vectorsFor(
    items.map((item) => item.content),
    items.map((item) => item.embedding),
    deps.warn,
  );
  let stored: StoredMemory[];
  try {
    stored =
      (items.length === 1 && !items[0]!.idempotency && (await storeAlone(deps, items[0]!, vectors[0] ?? null))) ||
      (await deps.em.transactional((tx) => storeInTransaction(tx, deps, items, vectors)));
  } catch (err) {
    if (isQuotaRefusal(err)) throw await quotaRefusal(deps.em, deps.userId, QuotaResource.MEMORIES, deps.quota);
    throw err;
  }
  deps.usage.record(deps.userId, { stores: items.length });
  return stored;
}

/**
 * The common store (one memory, existing agent, no idempotency key) is a single statement, atomic
 * on its own: no transaction round trips, and the user's counter row stays locked only while the
 * statement commits (its flush is what bounds one user's store rate). Null when it needs the full path.
 */
async function storeAlone(deps: StoreDeps, item: NewMemory, vector: number[] | null): Promise<StoredMemory[] | null> {
  const row = await storeItem(deps.em, deps, item, vector);
  return row ? [{ memory: toMemoryView(deps.em, row, item.agent), deduped: !row.inserted }] : null;
}

async function storeInTransaction(tx: EntityManager, deps: StoreDeps, items: NewMemory[], vectors: (number[] | null)[]): Promise<StoredMemory[]> {
  const { userId } = deps;
  const results: StoredMemory[] = new Array(items.length);
  // Rows are locked in one fixed order (agent, then content), so two batches never deadlock.
  const order = items.map((_, i) => i).sort((a, b) => compareStoreOrder(items[a]!, items[b]!));
  for (const i of order) {
    const item = items[i]!;
    const key = item.idempotency && { ...item.idempotency, hash: requestHash(item) };
    if (key) {
      const replay = await claimIdempotencyKey(tx, userId, key);
      if (replay) {
        results[i] = replay;
        continue;
      }
    }
    let row = await storeItem(tx, deps, item, vectors[i] ?? null);
    if (!row) {
      await prepareAgentAndContent(tx, deps, item);
      row = (await storeItem(tx, deps, item, vectors[i] ?? null))!;
    }
    if (key) await recordIdempotentResult(tx, userId, key.key, row.id, !row.inserted);
    results[i] = { memory: toMemoryView(tx, row, item.agent), deduped: !row.inserted };
  }
  return results;
}

const compareStoreOrder = (a: NewMemory, b: NewMemory) =>
  a.agent === b.agent ? (a.content < b.content ? -1 : a.content > b.content ? 1 : 0) : a.agent < b.agent ? -1 : 1;

/** The later expiry of the existing memory and the new store; no expiry beats any date. */
const LATER_EXPIRY = `case when m.expires_at is null or excluded.expires_at is null then null else greatest(m.expires_at, excluded.expires_at) end`;

/**
 * One statement: finds the agent, inserts the memory or (identical trimmed content in the same
 * agent) raises the existing one's importance to the larger of the two and keeps the later expiry,
 * and counts a new memory against the MEMORIES quota; over the cap it aborts itself, insert
 * included (a quota refusal error). No row when the agent does not exist yet or the identical copy
 * has expired; `prepareAgentAndContent` fixes both.
 */
async function storeItem(em: EntityManager, deps: StoreDeps, item: NewMemory, vector: number[] | null): Promise<(MemoryRow & { inserted: boolean }) | undefined> {
  const withVector = vector !== null;
  const limit = limitFor(deps.quota.entitlement.limits, QuotaResource.MEMORIES);
  const sql = `
    with agent as (select id from agents where user_id = ? and name = ? for key share),
    stored as (
      insert into memories as m (id, user_id, agent_id, content, importance, tags, metadata, expires_at${withVector ? ', embedding' : ''})
      select ?, ?, agent.id, ?, ?, array[${placeholders(item.tags)}]::text[], ?::jsonb, ?::timestamptz${withVector ? ', ?::vector' : ''} from agent
      on conflict (agent_id, md5(content)) do update set
        importance = greatest(m.importance, excluded.importance),
        expires_at = ${LATER_EXPIRY},
        ${withVector ? 'embedding = coalesce(m.embedding, excluded.embedding),' : ''}
        updated_at = case when excluded.importance > m.importance or ${LATER_EXPIRY} is distinct from m.expires_at then now() else m.updated_at end
      where ${NOT_EXPIRED}
      returning ${MEMORY_COLUMNS}, (m.xmax = 0) as inserted
    ),
    counted as (${takeQuotaSql(`select ?::uuid, '${QuotaResource.MEMORIES}', 1 from stored where stored.inserted`, limit)})
    select stored.* from stored
    where case when stored.inserted and not exists (select 1 from counted) then refuse_over_quota('${QuotaResource.MEMORIES}') else true end`;
  const params = [
    deps.userId,
    item.agent,
    randomUUID(),
    deps.userId,
    item.content,
    item.importance,
    ...item.tags,
    item.metadata === null ? null : JSON.stringify(item.metadata),
    item.expiresAt,
    ...(withVector ? [valid.vectorLiteral(vector)] : []),
    deps.userId,
  ];
  const [row] = await em.execute<(MemoryRow & { inserted: boolean })[]>(sql, params);
  return row;
}

/** Creates the agent when it is new (under the AGENTS quota) and deletes an expired identical copy, so `storeItem` can store. */
async function prepareAgentAndContent(tx: EntityManager, deps: StoreDeps, item: NewMemory): Promise<void> {
  const agentId = await agentIdForStore(tx, deps.userId, item.agent, deps.quota);
  const expired = await tx.execute(
    `delete from memories m where m.agent_id = ? and md5(m.content) = md5(?) and not ${NOT_EXPIRED} returning m.id`,
    [agentId, item.content],
  );
  await releaseQuota(tx, deps.userId, QuotaResource.MEMORIES, expired.length);
}

/** Every field of the normalized input: a retry must be the same request to get the first answer. */
function requestHash(item: NewMemory): string {
  const { idempotency: _key, expiresAt, ...rest } = item;
  return sha256Hex(canonicalJson({ ...rest, expiresAt: expiresAt?.toISOString() ?? null }));
}

/** JSON with object keys sorted, so equal inputs hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
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
async function claimIdempotencyKey(tx: EntityManager, userId: string, { key, hash, field }: { key: string; hash: string; field: string }): Promise<StoredMemory | null> {
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
     left join agents a on a.id = m.agent_id
     where k.user_id = ? and k.key = ?`,
    [userId, key],
  );
  if (first!.request_hash !== hash) throw badInput(field, 'This idempotency key was used for a different store in the last 24 hours');
  if (first!.id === null || first!.agent === null) return null;
  return { memory: toMemoryView(tx, first as MemoryRow, first!.agent), deduped: first!.deduped };
}

async function recordIdempotentResult(tx: EntityManager, userId: string, key: string, memoryId: string, deduped: boolean): Promise<void> {
  await tx.execute(`update memory_idempotency_keys set memory_id = ?, deduped = ? where user_id = ? and key = ?`, [memoryId, deduped, userId, key]);
}
