import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../entities/enums.js';
import { badInput } from '../errors.js';
import { agentIdForStore } from './agents.js';
import type { SemanticSearch } from './semantic.js';
import * as valid from './memory-input.js';
import { MEMORY_COLUMNS, NOT_EXPIRED, placeholders, toMemoryView, type MemoryRow, type MemoryView } from './memory-rows.js';
import { limitFor } from './plans.js';
import {
  addQuotaUsed,
  isQuotaRefusal,
  lockQuotaRow,
  QUOTA_REFUSED_SQLSTATE,
  quotaRefusal,
  releaseQuota,
  reserveQuota,
  takeQuotaSql,
  type QuotaCheck,
} from './quota.js';
import { sha256Hex } from './secrets.js';
import type { UsageMeter } from './usage.js';
import type { Warn } from './warnings.js';

/**
 * Storing memories (SPEC §7). A store is one transaction: the agent (created on first use, under the
 * AGENTS quota), the insert or deduplication, the idempotency record and the MEMORIES quota commit
 * together or not at all, so the counters always equal the rows and a batch is all or nothing.
 *
 * Lock order, so that concurrent writers wait for each other instead of in a circle: memory rows
 * in (agent, content) code-point order (`compareText` here, `collate "C"` in SQL), the MEMORIES
 * counter once, at the end of the transaction. One exception is left: a batch that creates an agent
 * takes the AGENTS counter when it reaches that item, after the rows of the items before it
 * (deleteAgent takes AGENTS after its rows too); PostgreSQL would detect such a cycle and fail one
 * of the two requests.
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
  /** When the remembered thing happened; the time of the store when not given. */
  occurredAt?: Date | null;
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
  /** This instance's combiner: one user's concurrent single stores share a transaction. */
  combiner: StoreCombiner;
  /** Called once memories without a vector are committed: the embedding worker takes them from there. */
  storedWithoutVector(): void;
}

interface NewMemory {
  /** Time-ordered (see `memoryId`), made when the request is read: a batch's ids follow its order. */
  id: string;
  agent: string;
  content: string;
  importance: number;
  tags: string[];
  metadata: Record<string, unknown> | null;
  embedding: number[] | null;
  occurredAt: Date | null;
  expiresAt: Date | null;
  /** The key, and the field that carried it (for the error when it is reused with another input). */
  idempotency: { key: string; field: string } | null;
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

/** A combined write holds at most this many stores (one statement each, one commit for all). */
const MAX_COMBINED = 64;

/** A combined store's answer: the memory, null when it needs the full path, or the error. */
type Outcome = { stored: StoredMemory | null } | { error: unknown };

interface QueuedStore {
  deps: StoreDeps;
  item: NewMemory;
  vector: number[] | null;
  settle(outcome: Outcome): void;
}

/**
 * Flat combining for the common store (one memory, no idempotency key). A store for a user with no
 * write in flight on this instance goes alone, as one statement. Stores that arrive while one is in
 * flight queue up and are written together in the next transaction: every memory row, then the
 * MEMORIES counter once, then one commit. A user's stores serialize on their counter row until each
 * commit is durable, so sharing the commit is what lets one busy user store many memories a second.
 * The answers are exactly those of storing one after another in arrival order.
 */
export class StoreCombiner {
  /** Per user: the stores waiting for the next write. Present while a write is in flight. */
  private readonly queues = new Map<string, QueuedStore[]>();

  constructor(private readonly forkEm: () => EntityManager) {}

  /** The stored memory, or null when the store needs the full path (a new agent, an expired copy). */
  store(deps: StoreDeps, item: NewMemory, vector: number[] | null): Promise<StoredMemory | null> {
    return new Promise((resolve, reject) => {
      const queued: QueuedStore = { deps, item, vector, settle: (r) => ('error' in r ? reject(r.error) : resolve(r.stored)) };
      const queue = this.queues.get(deps.userId);
      if (queue) return void queue.push(queued);
      this.queues.set(deps.userId, [queued]);
      void this.drain(deps.userId);
    });
  }

  private async drain(userId: string): Promise<void> {
    for (;;) {
      const batch = this.queues.get(userId)!.splice(0, MAX_COMBINED);
      if (batch.length === 0) return void this.queues.delete(userId);
      const outcomes = await (batch.length === 1 ? storeAlone(batch[0]!) : this.writeTogether(batch)).catch((error: unknown) =>
        batch.map((): Outcome => ({ error })),
      );
      batch.forEach((queued, i) => queued.settle(outcomes[i]!));
    }
  }

  private async writeTogether(batch: QueuedStore[]): Promise<Outcome[]> {
    const em = this.forkEm();
    const { userId, quota } = batch[0]!.deps;
    const limit = limitFor(quota.entitlement.limits, QuotaResource.MEMORIES);
    const outcome = await em.transactional(async (tx) => {
      const rows: StoredRow[] = new Array(batch.length);
      // One statement per round; a round holds each (agent, content) once, so a repeat within
      // the batch lands in a later round and deduplicates onto the first, as it would in turn.
      for (const round of distinctRounds(batch.map((queued) => queued.item))) {
        const stored = await storeRows(tx, batch[0]!.deps, round.map((i) => batch[i]!), { countQuota: false });
        round.forEach((i, k) => (rows[i] = stored[k]));
      }
      // Over the cap, the newest arrivals are the ones refused, as if each had been stored in turn.
      const inserted = rows.filter((row) => row?.inserted).map((row) => row!.id);
      if (inserted.length === 0) return { rows, refused: new Set<string>() };
      const room = limit === null ? inserted.length : Math.max(0, limit - (await lockQuotaRow(tx, userId, QuotaResource.MEMORIES)));
      const refused = new Set(inserted.slice(room));
      if (refused.size > 0) await tx.execute(`delete from memories where id in (${placeholders([...refused])})`, [...refused]);
      if (inserted.length > refused.size) await addQuotaUsed(tx, userId, QuotaResource.MEMORIES, inserted.length - refused.size);
      return { rows, refused };
    });
    return batch.map((queued, i) => {
      const row = outcome.rows[i];
      // A store refused here, or one that deduplicated onto a refused store, stored nothing.
      if (row && outcome.refused.has(row.id)) return { error: Object.assign(new Error('quota exceeded: MEMORIES'), { code: QUOTA_REFUSED_SQLSTATE }) };
      return { stored: row ? storedMemory(row, queued.item.agent) : null };
    });
  }
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
 * Indexes of `items` split into rounds in which each (agent, content) appears once: the first
 * occurrence of each in the first round, the second in the next, and so on.
 */
function distinctRounds(items: readonly NewMemory[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const key = `${item.agent}\u0000${item.content}`;
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (rounds[round] ??= []).push(i);
  });
  return rounds;
}

/** Indexes of `items` in lock order: by agent, then content, so two writers never wait on each other in a circle. */
const lockOrder = (items: NewMemory[]) =>
  items.map((_, i) => i).sort((a, b) => compareText(items[a]!.agent, items[b]!.agent) || compareText(items[a]!.content, items[b]!.content));

/**
 * Code-point order: the order of PostgreSQL's "C" collation on UTF-8, which the SQL that takes row
 * locks in bulk orders by, so JavaScript and SQL lock in one order whatever the database's locale.
 * (Plain `<` compares UTF-16 code units, which puts characters beyond U+FFFF before U+E000–U+FFFF.)
 */
export function compareText(a: string, b: string): number {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * A store with nothing in flight for its user is a single statement, atomic on its own: no
 * transaction round trips. Stored null when it needs the full path (a new agent, an expired copy).
 */
async function storeAlone({ deps, item, vector }: QueuedStore): Promise<Outcome[]> {
  const [row] = await storeRows(deps.em, deps, [{ item, vector }]);
  return [{ stored: row ? storedMemory(row, item.agent) : null }];
}

/** The later expiry of the existing memory and the new store; no expiry beats any date. */
const LATER_EXPIRY = `case when m.expires_at is null or excluded.expires_at is null then null else greatest(m.expires_at, excluded.expires_at) end`;

interface PendingStore {
  item: NewMemory;
  vector: number[] | null;
}

/** A memory as stored: its row, and whether this store inserted it (false: deduplicated onto it). */
type StoredRow = (MemoryRow & { inserted: boolean }) | undefined;

const storedMemory = (row: NonNullable<StoredRow>, agent: string): StoredMemory => ({ memory: toMemoryView(row, agent), deduped: !row.inserted });

/**
 * One statement for any number of stores with distinct (agent, content): finds each agent, inserts
 * each memory or (identical trimmed content in the same agent) raises the existing one's importance
 * to the larger of the two and keeps the later expiry, and (unless the caller counts at the end of
 * its transaction) counts the new memories against the MEMORIES quota; over the cap it aborts
 * itself, inserts included (a quota refusal error). Rows are inserted in lock order. The result is
 * aligned with `stores`; a store has no row when its agent does not exist yet or its identical copy
 * has expired: `prepareAgentAndContent` fixes both.
 */
async function storeRows(em: EntityManager, deps: StoreDeps, stores: readonly PendingStore[], { countQuota = true } = {}): Promise<StoredRow[]> {
  const withVector = stores.some((s) => s.vector !== null);
  const limit = limitFor(deps.quota.entitlement.limits, QuotaResource.MEMORIES);
  const row = `(?::int, ?::uuid, ?::text, ?::text, ?::double precision, ?::text[], ?::jsonb, ?::timestamptz, ?::timestamptz${withVector ? ', ?::vector' : ''})`;
  const params: unknown[] = [];
  for (const [i, { item, vector }] of stores.entries()) {
    params.push(i, item.id, item.agent, item.content, item.importance, `{${item.tags.map(pgArrayElement).join(',')}}`);
    params.push(item.metadata === null ? null : JSON.stringify(item.metadata), item.occurredAt, item.expiresAt);
    if (withVector) params.push(vector === null ? null : valid.vectorLiteral(vector));
  }
  const sql = `
    with input (ord, id, agent, content, importance, tags, metadata, occurred_at, expires_at${withVector ? ', embedding' : ''}) as (
      values ${stores.map(() => row).join(', ')}
    ),
    agent as (select a.id, a.name from agents a where a.user_id = ? and a.name in (select agent from input) for key share),
    stored as (
      insert into memories as m (id, user_id, agent_id, content, importance, tags, metadata, occurred_at, expires_at${withVector ? ', embedding' : ''})
      select input.id, ?, agent.id, input.content, input.importance, input.tags, input.metadata, coalesce(input.occurred_at, now()), input.expires_at${withVector ? ', input.embedding' : ''}
      from input join agent on agent.name = input.agent
      order by input.agent collate "C", input.content collate "C"
      on conflict (agent_id, md5(content)) do update set
        importance = greatest(m.importance, excluded.importance),
        expires_at = ${LATER_EXPIRY},
        ${withVector ? 'embedding = coalesce(m.embedding, excluded.embedding),' : ''}
        updated_at = case when excluded.importance > m.importance or ${LATER_EXPIRY} is distinct from m.expires_at then now() else m.updated_at end
      where ${NOT_EXPIRED}
      returning ${MEMORY_COLUMNS}, (m.xmax = 0) as inserted
    )${
      countQuota
        ? `,
    counted as (${takeQuotaSql(`select ?::uuid, '${QuotaResource.MEMORIES}', count(*)::int from stored where stored.inserted having count(*) > 0`, limit)})
    select input.ord, stored.* from stored join agent on agent.id = stored.agent_id join input on input.agent = agent.name and input.content = stored.content
    where case when stored.inserted and not exists (select 1 from counted) then refuse_over_quota('${QuotaResource.MEMORIES}') else true end`
        : `
    select input.ord, stored.* from stored join agent on agent.id = stored.agent_id join input on input.agent = agent.name and input.content = stored.content`
    }`;
  params.push(deps.userId, deps.userId);
  if (countQuota) params.push(deps.userId);
  const rows = await em.execute<(MemoryRow & { inserted: boolean; ord: number })[]>(sql, params);
  const aligned: StoredRow[] = new Array(stores.length).fill(undefined);
  for (const { ord, ...stored } of rows) aligned[ord] = stored as MemoryRow & { inserted: boolean };
  return aligned;
}

/** An element of a PostgreSQL array literal, quoted so any tag text survives. */
const pgArrayElement = (text: string) => `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;

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

/** Every field of the normalized input: a retry must be the same request to get the first answer. */
function requestHash(item: NewMemory): string {
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
  return { memory: toMemoryView(first as MemoryRow, first!.agent), deduped: first!.deduped };
}

async function recordIdempotentResult(tx: EntityManager, userId: string, key: string, memoryId: string, deduped: boolean): Promise<void> {
  await tx.execute(`update memory_idempotency_keys set memory_id = ?, deduped = ? where user_id = ? and key = ?`, [memoryId, deduped, userId, key]);
}
