import { isIP } from 'node:net';
import type { Redis } from 'ioredis';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { internalError } from '../../errors.js';
import type { UsageMeter } from './usage.js';

/**
 * Fixed 60-second windows (`@rateLimit`, docs/api.md). An operation's whole cost is taken in one atomic
 * step or not at all, so under any concurrency a bucket gets exactly `limit` units per window.
 * The store is Redis (a Lua script), PostgreSQL (a conditional upsert) or, for one embedded
 * server, memory. A store that cannot answer throws: callers fail closed.
 */

export const WINDOW_MS = 60_000;

/**
 * The per-IP limit's bucket for an address: IPv4 as it is, IPv6 per /64 (one subscriber's network
 * holds 2^64 addresses, so counting them one by one would give one client endless buckets).
 */
export function ipBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

export interface TakeResult {
  allowed: boolean;
  /** Units spent in this window after the call (unchanged when refused). */
  used: number;
}

export interface CounterStore {
  readonly kind: 'redis' | 'postgres' | 'memory';
  /** Adds `cost` unless that would pass `limit`; cost 0 only reads. */
  take(bucket: string, windowStart: number, cost: number, limit: number): Promise<TakeResult>;
}

export interface WindowState {
  limit: number;
  used: number;
  remaining: number;
  resetAt: Date;
  allowed: boolean;
}

export class RateLimiter {
  constructor(readonly store: CounterStore) {}

  async take(bucket: string, cost: number, limit: number, now = Date.now()): Promise<WindowState> {
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const { allowed, used } = cost > limit
      ? { allowed: false, used: (await this.store.take(bucket, windowStart, 0, limit)).used }
      : await this.store.take(bucket, windowStart, cost, limit);
    return { limit, used, remaining: Math.max(0, limit - used), resetAt: new Date(windowStart + WINDOW_MS), allowed };
  }
}

/** What spending a budget needs from the runtime. */
export interface BudgetDeps {
  rateLimiter: RateLimiter;
  usage: UsageMeter;
  logger: Logger;
}

/**
 * Takes `cost` units of `bucket`, failing closed: a counter store that cannot answer refuses the
 * request (INTERNAL_SERVER_ERROR and a log line), never lets it run unlimited.
 */
export async function takeOrFailClosed(deps: BudgetDeps, bucket: string, cost: number, limit: number): Promise<WindowState> {
  try {
    return await deps.rateLimiter.take(bucket, cost, limit);
  } catch (err) {
    deps.logger.error({ err, store: deps.rateLimiter.store.kind }, 'rate-limit store unreachable; refusing the request');
    throw internalError('Rate limiting is unavailable, so the request was not run; retry shortly');
  }
}

const userBucket = (userId: string) => `user:${userId}`;

/**
 * Spends `cost` units of a user's per-minute budget (null: no limit) for one request, whatever
 * door it came in by (a GraphQL operation, an MCP tool call). Returns the window after the take;
 * when it is not `allowed` nothing was spent and the request must not run. A request that costs
 * nothing only reads the window, and an unreachable store then refuses nothing. Each request that
 * may run is metered.
 */
export async function spendUserBudget(deps: BudgetDeps, userId: string, requestsPerMinute: number | null, cost: number): Promise<WindowState | null> {
  const limit = requestsPerMinute ?? Number.MAX_SAFE_INTEGER;
  const window = cost === 0 ? await deps.rateLimiter.take(userBucket(userId), 0, limit).catch(() => null) : await takeOrFailClosed(deps, userBucket(userId), cost, limit);
  if (window?.allowed !== false) deps.usage.record(userId, { requests: 1 });
  return window;
}

/** A user's current window as it is, without spending; null with no limit or when the store cannot answer. */
export async function readUserWindow(deps: BudgetDeps, userId: string, requestsPerMinute: number | null): Promise<WindowState | null> {
  if (!requestsPerMinute) return null;
  return deps.rateLimiter.take(userBucket(userId), 0, requestsPerMinute).catch(() => null);
}

/**
 * Gathers what is added during one turn of the event loop and hands it over once, right after the
 * turn (setImmediate): the counter stores answer, or send to Redis, a turn's takes together.
 */
class PerTurnBatch<T> {
  private items: T[] = [];

  constructor(private readonly handOver: (items: T[]) => void) {}

  add(item: T): void {
    if (this.items.length === 0) setImmediate(() => this.handOverAll());
    this.items.push(item);
  }

  private handOverAll(): void {
    const items = this.items;
    this.items = [];
    this.handOver(items);
  }
}

/**
 * Counts are kept exact by counting at call time; the answers of one event-loop turn are given
 * together after it (setImmediate), as the Redis store's batch is. Answered at once, each request
 * would run to its response write alone; answered together, the turn's responses go out in one
 * burst and the clients' next requests arrive together, which on a small machine costs the server
 * a quarter less CPU per request (README, "Benchmarks").
 */
export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory' as const;
  /** window start → bucket → units used; only the current and previous windows are kept. */
  private readonly windows = new Map<number, Map<string, number>>();
  private readonly answers = new PerTurnBatch<() => void>((answers) => answers.forEach((answer) => answer()));

  take(bucket: string, windowStart: number, cost: number, limit: number): Promise<TakeResult> {
    const result = this.count(bucket, windowStart, cost, limit);
    return new Promise((resolve) => this.answers.add(() => resolve(result)));
  }

  private count(bucket: string, windowStart: number, cost: number, limit: number): TakeResult {
    let counters = this.windows.get(windowStart);
    if (!counters) {
      counters = new Map();
      this.windows.set(windowStart, counters);
      for (const start of this.windows.keys()) if (start < windowStart - WINDOW_MS) this.windows.delete(start);
    }
    const used = counters.get(bucket) ?? 0;
    if (cost === 0) return { allowed: true, used };
    if (used + cost > limit) return { allowed: false, used };
    counters.set(bucket, used + cost);
    return { allowed: true, used: used + cost };
  }
}

export class PostgresCounterStore implements CounterStore {
  readonly kind = 'postgres' as const;
  constructor(private readonly forkEm: () => EntityManager) {}

  async take(bucket: string, windowStart: number, cost: number, limit: number): Promise<TakeResult> {
    const em = this.forkEm();
    const start = new Date(windowStart);
    if (cost > 0) {
      const rows = await em.execute<{ used: number }[]>(
        `insert into rate_limit_windows (bucket, window_start, used) values (?, ?, ?)
         on conflict (bucket, window_start) do update set used = rate_limit_windows.used + excluded.used
         where rate_limit_windows.used + excluded.used <= ?
         returning used`,
        [bucket, start, cost, limit],
      );
      if (rows.length > 0) return { allowed: true, used: rows[0]!.used };
    }
    const [row] = await em.execute<{ used: number }[]>(
      `select used from rate_limit_windows where bucket = ? and window_start = ?`,
      [bucket, start],
    );
    return { allowed: cost === 0, used: row?.used ?? 0 };
  }

  /** Drops windows that ended; run periodically. */
  static async prune(em: EntityManager): Promise<void> {
    await em.execute(`delete from rate_limit_windows where window_start < now() - interval '2 minutes'`);
  }
}

// One call takes for many counters, each atomically and in order (a counter may appear twice).
// KEYS: the counters; ARGV: ttl ms, then cost and limit per key. Returns allowed, used per key.
const TAKE_MANY_SCRIPT = `
local ttl = ARGV[1]
local out = {}
for i, key in ipairs(KEYS) do
  local cost = tonumber(ARGV[2 * i])
  local used = tonumber(redis.call('GET', key) or '0')
  if cost == 0 then
    out[#out + 1] = 1
  elseif used + cost > tonumber(ARGV[2 * i + 1]) then
    out[#out + 1] = 0
  else
    used = redis.call('INCRBY', key, cost)
    if used == cost then redis.call('PEXPIRE', key, ttl) end
    out[#out + 1] = 1
  end
  out[#out + 1] = used
end
return out
`;

type RedisWithTake = Redis & { stellarTakeMany(keys: number, ...args: (string | number | (string | number)[])[]): Promise<number[]> };

/** Takes per script call: one call blocks Redis while it runs, so a flood is cut into short ones. */
const MAX_TAKES_PER_CALL = 500;

interface PendingTake {
  key: string;
  cost: number;
  limit: number;
  resolve(result: TakeResult): void;
  reject(err: unknown): void;
}

/**
 * Takes issued during one turn of the event loop go to Redis as one script call: a socket write
 * and a read per turn instead of per request, which is most of what a Redis-counted request costs
 * the server. Each take is still one atomic step inside the script, so the count stays exact.
 */
export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis' as const;
  private readonly redis: RedisWithTake;
  private readonly pending = new PerTurnBatch<PendingTake>((takes) => this.send(takes));

  constructor(redis: Redis) {
    redis.defineCommand('stellarTakeMany', { lua: TAKE_MANY_SCRIPT });
    this.redis = redis as RedisWithTake;
  }

  take(bucket: string, windowStart: number, cost: number, limit: number): Promise<TakeResult> {
    return new Promise((resolve, reject) => this.pending.add({ key: `stellar:rl:${bucket}:${windowStart}`, cost, limit, resolve, reject }));
  }

  private send(pending: PendingTake[]): void {
    for (let start = 0; start < pending.length; start += MAX_TAKES_PER_CALL) {
      const batch = pending.slice(start, start + MAX_TAKES_PER_CALL);
      // Arrays, not spread arguments: ioredis flattens them, and a spread of a large turn would overflow the stack.
      const keys = batch.map((t) => t.key);
      const costsAndLimits = batch.flatMap((t) => [t.cost, t.limit]);
      this.redis.stellarTakeMany(batch.length, keys, 2 * WINDOW_MS, costsAndLimits).then(
        (out) => batch.forEach((t, i) => t.resolve({ allowed: out[2 * i] === 1, used: out[2 * i + 1]! })),
        (err: unknown) => batch.forEach((t) => t.reject(err)),
      );
    }
  }
}
