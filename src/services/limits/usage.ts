import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';

/**
 * Monthly usage metering (docs/api.md) without a database round trip per request: counts gather in
 * memory and a flush every few seconds adds them to the (user, month) rows in one statement.
 * A failed flush keeps the counts for the next one.
 */

export interface UsageCounts {
  requests: number;
  stores: number;
  recalls: number;
}

export const FLUSH_INTERVAL_MS = 2_000;

/** First day of the current UTC month, as the `period` column stores it. */
export function periodOf(date = new Date()): string {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

const empty = (): UsageCounts => ({ requests: 0, stores: 0, recalls: 0 });

function addCounts(into: UsageCounts, counts: Partial<UsageCounts>): void {
  into.requests += counts.requests ?? 0;
  into.stores += counts.stores ?? 0;
  into.recalls += counts.recalls ?? 0;
}

export class UsageMeter {
  /** period → user → counts not yet written. */
  private pending = new Map<string, Map<string, UsageCounts>>();
  /** The batch a flush is writing: still counted by `unflushed` until it is committed. */
  private writing: Map<string, Map<string, UsageCounts>> | null = null;
  private flushing: Promise<void> | null = null;

  constructor(private readonly forkEm: () => EntityManager, private readonly logger: Logger) {}

  record(userId: string, counts: Partial<UsageCounts>, at = new Date()): void {
    const period = periodOf(at);
    let users = this.pending.get(period);
    if (!users) this.pending.set(period, (users = new Map()));
    let entry = users.get(userId);
    if (!entry) users.set(userId, (entry = empty()));
    addCounts(entry, counts);
  }

  /** Counts recorded on this instance and not yet flushed, for a fresher `usage` answer. */
  unflushed(userId: string, period = periodOf()): UsageCounts {
    const total = empty();
    for (const batch of [this.pending, this.writing]) addCounts(total, batch?.get(period)?.get(userId) ?? {});
    return total;
  }

  async flush(): Promise<void> {
    // One flush at a time; a caller arriving mid-flush waits for it and then flushes what is left.
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = batch;
    this.flushing = this.write(batch).finally(() => {
      this.writing = null;
      this.flushing = null;
    });
    await this.flushing;
  }

  private async write(batch: Map<string, Map<string, UsageCounts>>): Promise<void> {
    const rows: unknown[] = [];
    const values: string[] = [];
    for (const [period, users] of batch) {
      for (const [userId, c] of users) {
        values.push('(?, ?::date, ?, ?, ?)');
        rows.push(userId, period, c.requests, c.stores, c.recalls);
      }
    }
    try {
      await this.forkEm().execute(
        `insert into usage_periods (user_id, period, requests, stores, recalls) values ${values.join(', ')}
         on conflict (user_id, period) do update set
           requests = usage_periods.requests + excluded.requests,
           stores = usage_periods.stores + excluded.stores,
           recalls = usage_periods.recalls + excluded.recalls`,
        rows,
      );
    } catch (err) {
      // Put the counts back so the next flush carries them (and stop counting them as being written).
      this.writing = null;
      for (const [period, users] of batch) for (const [userId, c] of users) this.record(userId, c, new Date(`${period}T00:00:00Z`));
      this.logger.warn({ err, users: values.length }, 'usage flush failed; will retry');
    }
  }
}

export async function readUsage(em: EntityManager, userId: string, period = periodOf()): Promise<UsageCounts> {
  const [row] = await em.execute<{ requests: string; stores: string; recalls: string }[]>(
    `select requests, stores, recalls from usage_periods where user_id = ? and period = ?::date`,
    [userId, period],
  );
  return { requests: Number(row?.requests ?? 0), stores: Number(row?.stores ?? 0), recalls: Number(row?.recalls ?? 0) };
}
