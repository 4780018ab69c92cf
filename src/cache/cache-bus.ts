import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Tells every server instance that a cached fact changed (a key was revoked, a user's plan moved).
 * Redis pub/sub when Redis is configured, PostgreSQL LISTEN/NOTIFY on an external database, and
 * in-process only for the embedded database (which no other process shares).
 *
 * Delivery can be lost while the channel is down, so caches watch `connected`: while it is false
 * they keep entries for at most a second, and every reconnect clears them (the `reset` event).
 */

export type CacheTopic = 'key' | 'entitlement';

export interface CacheMessage {
  topic: CacheTopic;
  id: string;
}

/** What runs statements inside the caller's transaction (a MikroORM EntityManager in one). */
export interface TransactionExecutor {
  execute(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface CacheBus {
  /** Delivers to this instance at once and to the others through the channel. */
  publish(message: CacheMessage): Promise<void>;
  /**
   * For inside the transaction that makes the change. On PostgreSQL the NOTIFY is a statement of
   * `tx`: the database sends it when (and only if) the transaction commits, whether or not this
   * instance's own listening connection is up. Returns what to call once `tx` committed (this
   * instance's caches, and the Redis channel for the Redis bus).
   */
  publishWithin(tx: TransactionExecutor, message: CacheMessage): Promise<() => Promise<void>>;
  on(event: 'message', listener: (message: CacheMessage) => void): void;
  on(event: 'reset', listener: () => void): void;
  readonly connected: boolean;
  readonly kind: 'local' | 'postgres' | 'redis';
  close(): Promise<void>;
}

/** The channel name (PostgreSQL NOTIFY and Redis pub/sub alike) and the message text on it. */
export const CACHE_CHANNEL = 'stellar_cache';
export const encodeCacheMessage = (m: CacheMessage) => `${m.topic}:${m.id}`;
function decode(raw: string): CacheMessage | null {
  const at = raw.indexOf(':');
  const topic = raw.slice(0, at);
  if (at < 1 || (topic !== 'key' && topic !== 'entitlement')) return null;
  return { topic, id: raw.slice(at + 1) };
}

abstract class BaseBus extends EventEmitter implements CacheBus {
  abstract readonly kind: CacheBus['kind'];
  abstract readonly connected: boolean;
  protected abstract send(raw: string): Promise<void>;
  abstract close(): Promise<void>;

  /** This instance hears its own message again from the channel; invalidating twice is harmless. */
  async publish(message: CacheMessage): Promise<void> {
    this.emit('message', message);
    await this.send(encodeCacheMessage(message));
  }

  async publishWithin(_tx: TransactionExecutor, message: CacheMessage): Promise<() => Promise<void>> {
    return () => this.publish(message);
  }

  protected receive(raw: string): void {
    const message = decode(raw);
    if (message) this.emit('message', message);
  }

  protected reset(): void {
    this.emit('reset');
  }
}

export class LocalBus extends BaseBus {
  readonly kind = 'local' as const;
  readonly connected = true;
  protected async send(): Promise<void> {}
  async close(): Promise<void> {}
}

export class PostgresBus extends BaseBus {
  readonly kind = 'postgres' as const;
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly url: string, private readonly logger: Logger) {
    super();
  }

  get connected(): boolean {
    return this.client !== null;
  }

  async start(): Promise<void> {
    await this.connect().catch((err) => this.scheduleReconnect(err));
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    client.on('notification', (n) => n.channel === CACHE_CHANNEL && n.payload && this.receive(n.payload));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    await client.connect();
    await client.query(`LISTEN ${CACHE_CHANNEL}`);
    if (this.closed) return void (await client.end());
    this.client = client;
    this.reset();
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client) return;
    this.client = null;
    this.reset();
    client.end().catch(() => {});
    this.scheduleReconnect(err);
  }

  private scheduleReconnect(err: unknown): void {
    if (this.closed || this.retry) return;
    this.logger.warn({ err }, 'cache invalidation channel (PostgreSQL) down; caches hold entries at most 1s until it returns');
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().catch((e) => this.scheduleReconnect(e));
    }, 1_000);
  }

  /**
   * Sent on the listening connection when it is up. While it is down the message is lost, so
   * what must reach every instance (a revoked key) goes through `publishWithin` instead.
   */
  protected async send(raw: string): Promise<void> {
    if (!this.client) return;
    await this.client.query('SELECT pg_notify($1, $2)', [CACHE_CHANNEL, raw]);
  }

  override async publishWithin(tx: TransactionExecutor, message: CacheMessage): Promise<() => Promise<void>> {
    await tx.execute('select pg_notify(?, ?)', [CACHE_CHANNEL, encodeCacheMessage(message)]);
    return async () => void this.emit('message', message);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}

export class RedisBus extends BaseBus {
  readonly kind = 'redis' as const;
  private ready = false;

  constructor(private readonly publisher: Redis, private readonly subscriber: Redis, private readonly logger: Logger) {
    super();
    subscriber.on('message', (channel: string, raw: string) => channel === CACHE_CHANNEL && this.receive(raw));
    subscriber.on('ready', () => {
      this.ready = true;
      this.reset();
    });
    subscriber.on('close', () => {
      if (this.ready) this.logger.warn('cache invalidation channel (Redis) down; caches hold entries at most 1s until it returns');
      this.ready = false;
      this.reset();
    });
  }

  get connected(): boolean {
    return this.ready;
  }

  /** Does not wait for Redis: the subscription is queued and ioredis renews it on every reconnect. */
  async start(): Promise<void> {
    this.subscriber.subscribe(CACHE_CHANNEL).catch((err: Error) => {
      this.logger.warn({ err }, 'cannot subscribe to the Redis cache channel');
    });
  }

  protected async send(raw: string): Promise<void> {
    await this.publisher.publish(CACHE_CHANNEL, raw);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}
