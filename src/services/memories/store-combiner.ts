import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../../entities/enums.js';
import { limitFor } from '../../plans.js';
import { addQuotaUsed, lockQuotaRow, QUOTA_REFUSED_SQLSTATE } from '../limits/quota.js';
import { placeholders } from './memory-rows.js';
import { storedMemory, storeRows, type NewMemory, type RowDeps, type StoredMemory, type StoredRow } from './store-rows.js';

/** A combined write holds at most this many stores (one statement each, one commit for all). */
const MAX_COMBINED = 64;

/** A combined store's answer: the memory, null when it needs the full path, or the error. */
type Outcome = { stored: StoredMemory | null } | { error: unknown };

interface QueuedStore {
  deps: RowDeps;
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
  store(deps: RowDeps, item: NewMemory, vector: number[] | null): Promise<StoredMemory | null> {
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

/**
 * A store with nothing in flight for its user is a single statement, atomic on its own: no
 * transaction round trips. Stored null when it needs the full path (a new agent, an expired copy).
 */
async function storeAlone({ deps, item, vector }: QueuedStore): Promise<Outcome[]> {
  const [row] = await storeRows(deps.em, deps, [{ item, vector }]);
  return [{ stored: row ? storedMemory(row, item.agent) : null }];
}

