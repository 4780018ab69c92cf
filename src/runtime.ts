import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { accountJobs } from './jobs/accounts.js';
import { billingJobs } from './jobs/billing.js';
import { memoryJobs } from './jobs/memories.js';
import { Scheduler } from './jobs/scheduler.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createProviderRegistry, type ProviderRegistry } from './providers/index.js';
import { ensureOwner } from './services/accounts/accounts.js';
import { Authenticator } from './services/accounts/authentication.js';
import { LocalBus, PostgresBus, RedisBus, type CacheBus } from './cache/cache-bus.js';
import { Embeddings } from './embeddings/remote.js';
import { EmbeddingWorker } from './services/memories/embedding-worker.js';
import { SemanticSearch } from './services/memories/semantic.js';
import { LocalEmbeddings } from './embeddings/local.js';
import type { EmbeddingModel } from './embeddings/model.js';
import { Entitlements } from './services/billing/entitlements.js';
import { StoreCombiner } from './services/memories/store-combiner.js';
import { createMailer, type Mailer } from './services/accounts/mailer.js';
import { MemoryCounterStore, PostgresCounterStore, RateLimiter, RedisCounterStore } from './services/limits/rate-limiter.js';
import { UsageMeter } from './services/limits/usage.js';

/**
 * The long-lived parts of one server instance, built once at start and handed to the HTTP layer.
 * Which backing service each part uses (Redis, PostgreSQL, memory) is decided here and only here.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  db: Database;
  orm: MikroORM;
  /** A fresh EntityManager for work outside a request. */
  forkEm(): EntityManager;
  redis: Redis | null;
  bus: CacheBus;
  authenticator: Authenticator;
  entitlements: Entitlements;
  rateLimiter: RateLimiter;
  usage: UsageMeter;
  mailer: Mailer;
  /** What semantic recall this deployment can do (pgvector, the embedding model). */
  semantic: SemanticSearch;
  /** Embeds stored memories in the background (src/services/memories/embedding-worker.ts). */
  embeddingWorker: EmbeddingWorker;
  /** Writes one user's concurrent single stores together (src/services/memories/store-combiner.ts). */
  storeCombiner: StoreCombiner;
  /** The payment providers that are on (docs/billing.md), built once from the configuration. */
  providers: ProviderRegistry;
  scheduler: Scheduler;
  metrics: Metrics;
  /** What time it is for the rules that depend on it (injected by tests). */
  clock: Clock;
  /** Settles when background loading may begin (main.ts: a moment after the server listens). */
  backgroundAfter: Promise<unknown>;
  /** Set on SIGTERM: /readyz answers 503 and responses ask clients to close their connection. */
  draining: boolean;
  /** Stops jobs, flushes what is buffered and closes connections (not the database). */
  close(): Promise<void>;
}

/** ioredis is loaded only with REDIS_URL. */
async function connectRedis(url: string, logger: Logger, role: string, offlineQueue: boolean): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: false,
    // Commands fail at once while Redis is down instead of queueing: callers fail closed.
    enableOfflineQueue: offlineQueue,
    maxRetriesPerRequest: offlineQueue ? null : 1,
    commandTimeout: offlineQueue ? undefined : 2_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // Commands issued in the same tick (many requests' rate-limit scripts) share one socket write.
    enableAutoPipelining: !offlineQueue,
  });
  let down = false;
  redis.on('error', (err) => {
    if (!down) logger.error({ role, err }, 'Redis unreachable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ role }, 'Redis reachable again');
    down = false;
  });
  return redis;
}

/**
 * The sentence-embedding model EMBEDDINGS asks for: the endpoint, or the built-in model, which loads
 * in worker threads in the background (the server answers meanwhile; recall is lexical until then).
 */
function createModel(config: Config, logger: Logger, startAfter?: Promise<unknown>): EmbeddingModel | null {
  if (config.embeddingsMode === 'remote') return new Embeddings(config.embeddings!, config.embeddingsDim, config.providerTimeoutMs);
  if (config.embeddingsMode !== 'local') return null;
  const local = LocalEmbeddings.start({ workers: config.embeddingsThreads, logger, startAfter });
  if (local.dim !== config.vectorDim) throw new Error(`the built-in model has ${local.dim} dimensions, LOCAL_EMBEDDINGS_DIM says ${config.vectorDim}`);
  return local;
}

export interface RuntimeOptions {
  clock?: Clock;
  /** Background work that needs a core for a while (the built-in model's load) waits for this (main.ts: listening). */
  backgroundAfter?: Promise<unknown>;
}

export async function createRuntime(config: Config, logger: Logger, db: Database, options: RuntimeOptions = {}): Promise<Runtime> {
  const forkEm = () => db.orm.em.fork() as EntityManager;
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger, 'commands', false) : null;
  const subscriber = config.redisUrl ? await connectRedis(config.redisUrl, logger, 'subscriber', true) : null;

  let bus: CacheBus;
  if (redis && subscriber) {
    const redisBus = new RedisBus(redis, subscriber, logger);
    await redisBus.start();
    bus = redisBus;
  } else if (!db.embedded) {
    const pgBus = new PostgresBus(db.url, logger);
    await pgBus.start();
    bus = pgBus;
  } else {
    bus = new LocalBus();
  }

  const ownerUserId = config.billingEnabled ? null : (await ensureOwner(forkEm())).id;
  const store = redis ? new RedisCounterStore(redis) : db.embedded ? new MemoryCounterStore() : new PostgresCounterStore(forkEm);
  const authenticator = new Authenticator(config, bus, forkEm, ownerUserId);
  const usage = new UsageMeter(forkEm, logger);
  const metrics = createMetrics();
  const scheduler = new Scheduler(logger, (job, ok, ms) => {
    metrics.jobRuns.inc({ job, outcome: ok ? 'ok' : 'failed' });
    metrics.jobDuration.observe({ job }, ms / 1000);
  });

  const model = db.vectorSearch ? createModel(config, logger, options.backgroundAfter) : null;
  if (!db.vectorSearch && config.embeddingsMode !== 'off') logger.warn({ embeddings: config.embeddingsMode }, 'no vector search on this database: the embedding model is not started, recall matches words only');
  const semantic = new SemanticSearch(config.embeddingsMode, db.vectorSearch, config.vectorDim ?? config.embeddingsDim, model, logger);
  const embeddingWorker = new EmbeddingWorker(forkEm, semantic, logger);
  // Memories stored while the built-in model loads (or before it existed) are embedded once it can.
  if (model instanceof LocalEmbeddings) {
    model.whenReady().then(
      () => embeddingWorker.wake(),
      (err: unknown) => logger.error({ err }, 'the built-in embedding model failed to load: recall matches words only'),
    );
  }

  const rt: Runtime = {
    config,
    logger,
    db,
    orm: db.orm,
    forkEm,
    redis,
    bus,
    authenticator,
    entitlements: new Entitlements(bus, forkEm),
    rateLimiter: new RateLimiter(store),
    usage,
    mailer: await createMailer(config, logger),
    semantic,
    embeddingWorker,
    storeCombiner: new StoreCombiner(forkEm),
    providers: await createProviderRegistry(config, logger, options.backgroundAfter),
    scheduler,
    metrics,
    clock: options.clock ?? systemClock,
    backgroundAfter: options.backgroundAfter ?? Promise.resolve(),
    draining: false,
    async close() {
      // Together: the scheduled embedding run ends only when the worker stops (after its current
      // batch), so waiting for the scheduler first would wait for the whole backlog.
      await Promise.all([scheduler.stop(), embeddingWorker.stop()]);
      await model?.close();
      await usage.flush().catch(() => {});
      await bus.close();
      redis?.disconnect();
      subscriber?.disconnect();
    },
  };
  for (const job of [...accountJobs(rt), ...billingJobs(rt), ...memoryJobs(rt)]) scheduler.add(job);
  return rt;
}
