import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../../entities/enums.js';
import { badInput } from '../../errors.js';
import { isQuotaRefusal, quotaRefusal, releaseQuota, reserveQuota } from '../limits/quota.js';
import type { UsageMeter } from '../limits/usage.js';
import type { Warn } from '../warnings.js';
import { agentIdForStore } from './agents.js';
import { claimIdempotencyKey, recordIdempotentResult, requestHash } from './idempotency.js';
import * as valid from './memory-input.js';
import { NOT_EXPIRED } from './memory-rows.js';
import type { SemanticSearch } from './semantic.js';
import type { StoreCombiner } from './store-combiner.js';
import { lockOrder, storedMemory, storeRows, type NewMemory, type RowDeps, type StoredMemory } from './store-rows.js';


/**
 * Storing memories (docs/memories.md). A store is one transaction: the agent (created on first use, under the
 * AGENTS quota), the insert or deduplication, the idempotency record and the MEMORIES quota commit
 * together or not at all, so the counters always equal the rows and a batch is all or nothing.
 *
 * Lock order, so that concurrent writers wait for each other instead of in a circle: memory rows
 * in (agent, content) code-point order (`compareText` in store-rows.ts, `collate "C"` in SQL), the MEMORIES
 * counter once, at the end of the transaction. One exception is left: a batch that creates an agent
 * takes the AGENTS counter when it reaches that item, after the rows of the items before it
 * (deleteAgent takes AGENTS after its rows too); PostgreSQL would detect such a cycle and fail one
 * of the two requests.
 */

export const MAX_STORE_BATCH = 100;
export interface StoreMemoryInput {
  agent?: string | null;
  content: string;
  importance?: number | null;
  tags?: string[] | null;
  metadata?: Record<string, unknown> | null;
  embedding?: number[] | null;
  /** When the remembered thing happened; the time of the store when not given. */
  occurredAt?: Date | null;
  expiresAt?: Date | null;
  idempotencyKey?: string | null;
}

export interface StoreDeps extends RowDeps {
  usage: UsageMeter;
  semantic: SemanticSearch;
  warn: Warn;
  /** This instance's combiner: one user's concurrent single stores share a transaction. */
  combiner: StoreCombiner;
  /** Called once memories without a vector are committed: the embedding worker takes them from there. */
  storedWithoutVector(): void;
}

/** `field` names an input's field as the client sent it: `content`, or `inputs[3].content` in a batch. */
function normalize(input: StoreMemoryInput, dim: number, field: (name: string) => string): NewMemory {
  const key = valid.idempotencyKey(input.idempotencyKey, field('idempotencyKey'));
  return {
    id: memoryId(),
    agent: valid.agentName(input.agent ?? valid.DEFAULT_AGENT, field('agent')),
    content: valid.content(input.content, field('content')),
    importance: valid.unitInterval(input.importance ?? valid.DEFAULT_IMPORTANCE, field('importance')),
    tags: valid.tags(input.tags, field('tags')),
    metadata: valid.metadata(input.metadata, field('metadata')),
    embedding: valid.embedding(input.embedding, dim, field('embedding')),
    occurredAt: valid.date(input.occurredAt, field('occurredAt')),
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
  // A store never waits on the model: only a vector the client sent is stored with the memory.
  const vectors = deps.semantic.givenVectors(
    items.map((item) => item.embedding),
    deps.warn,
  );
  let stored: StoredMemory[];
  try {
    const single = items.length === 1 && !items[0]!.idempotency;
    const combined = single ? await deps.combiner.store(deps, items[0]!, vectors[0] ?? null) : null;
    stored = combined ? [combined] : await deps.em.transactional((tx) => storeInTransaction(tx, deps, items, vectors));
  } catch (err) {
    if (isQuotaRefusal(err)) throw await quotaRefusal(deps.em, deps.userId, QuotaResource.MEMORIES, deps.quota);
    throw err;
  }
  deps.usage.record(deps.userId, { stores: items.length });
  if (vectors.some((v) => v === null)) deps.storedWithoutVector();
  return stored;
}

async function storeInTransaction(tx: EntityManager, deps: StoreDeps, items: NewMemory[], vectors: (number[] | null)[]): Promise<StoredMemory[]> {
  const { userId } = deps;
  const results: StoredMemory[] = new Array(items.length);
  let inserted = 0;
  let expiredCopies = 0;
  for (const i of lockOrder(items)) {
    const item = items[i]!;
    const key = item.idempotency && { ...item.idempotency, hash: requestHash(item) };
    if (key) {
      const replay = await claimIdempotencyKey(tx, userId, key);
      if (replay) {
        results[i] = replay;
        continue;
      }
    }
    const pending = [{ item, vector: vectors[i] ?? null }];
    let [row] = await storeRows(tx, deps, pending, { countQuota: false });
    if (!row) {
      expiredCopies += await prepareAgentAndContent(tx, deps, item);
      [row] = await storeRows(tx, deps, pending, { countQuota: false });
    }
    if (!row) throw new Error('store: the agent and content were prepared, yet no row was stored');
    if (row.inserted) inserted++;
    if (key) await recordIdempotentResult(tx, userId, key.key, row.id, !row.inserted);
    results[i] = storedMemory(row, item.agent);
  }
  // The MEMORIES counter last (the lock order above): all the new memories fit, or none is stored.
  const net = inserted - expiredCopies;
  if (net > 0) await reserveQuota(tx, userId, QuotaResource.MEMORIES, net, deps.quota);
  else if (net < 0) await releaseQuota(tx, userId, QuotaResource.MEMORIES, -net);
  return results;
}

/**
 * Creates the agent when it is new (under the AGENTS quota) and deletes an expired identical copy,
 * so `storeRows` can store. Returns how many memories it deleted: the caller settles the MEMORIES
 * counter once, at the end.
 */
async function prepareAgentAndContent(tx: EntityManager, deps: StoreDeps, item: NewMemory): Promise<number> {
  const agentId = await agentIdForStore(tx, deps.userId, item.agent, deps.quota);
  const expired = await tx.execute(
    `delete from memories m where m.agent_id = ? and md5(m.content) = md5(?) and not ${NOT_EXPIRED} returning m.id`,
    [agentId, item.content],
  );
  return expired.length;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter within the millisecond,
 * then random bits. Ids made by this process ascend, so memories stored together (one batch, one
 * combined write, which share `created_at`) keep their order in (created_at, id): the order in
 * which a conversation was told, which recall reads a memory's context from (docs/recall.md).
 */
let lastMs = 0;
let counter = 0;
export function memoryId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // 4,096 ids in one millisecond: borrow the next one, order first.
    lastMs++;
    counter = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

