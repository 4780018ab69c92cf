import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from './config.js';

/** Process entry: configuration, database, runtime, HTTP server, and a graceful stop on SIGTERM. */

/** Invalid configuration (also one found against the database, e.g. EMBEDDINGS_DIM) stops the start with one line per problem. */
function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) console.error(`config error: ${problem}`);
    process.exit(1);
  }
  throw err;
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  exitOnConfigError(err);
}

// The embedded database starts before the rest of the server is loaded: about half of its second
// of start is off this thread (WebAssembly compiled in the background, file reads), which then
// overlaps with loading the modules below.
const embeddedStartedAt = Date.now();
const embedded = config.databaseUrl ? undefined : (await import('./db/embedded.js')).startEmbeddedPostgres(config.embeddedDbDir);
embedded?.catch(() => {}); // awaited (and reported) by openDatabase
const [{ buildApp }, { openDatabase }, { metricsServer }, { createLogger }, { boundHeapGrowth }, { createRuntime }] = await Promise.all([
  import('./app.js'),
  import('./db/database.js'),
  import('./http/metrics.js'),
  import('./logger.js'),
  import('./memory-policy.js'),
  import('./runtime.js'),
]);

boundHeapGrowth();
const logger = createLogger(config);
const db = await openDatabase(config, logger, { migrate: true, embedded, embeddedStartedAt }).catch(exitOnConfigError);
// Background work (the embedding model's load) starts once the server listens.
const BACKGROUND_DELAY_MS = 1_000;
let listening!: () => void;
const backgroundAfter = new Promise<void>((resolve) => (listening = resolve));
const rt = await createRuntime(config, logger, db, { backgroundAfter });
const app = await buildApp(rt);
// Production keeps /metrics off the public port: a second listener that only the scraper reaches.
const metricsApp = config.isProduction ? await metricsServer(rt) : null;

/**
 * SIGTERM: first drain (keep serving, /readyz 503, `Connection: close`) for at least
 * SHUTDOWN_GRACE_MS and until no new connection or request has arrived for half a second, so that
 * connections already queued are read and the load balancer stops routing here; then stop
 * accepting, finish what is in flight, stop jobs, flush, and close the pool and the embedded database.
 */
const QUIET_MS = 500;
async function drain(): Promise<void> {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await sleep(config.shutdownGraceMs);
  const giveUpAt = Date.now() + config.shutdownTimeoutMs / 2;
  while (app.msSinceLastActivity() < QUIET_MS && Date.now() < giveUpAt) await sleep(100);
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  rt.draining = true;
  logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: draining');
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed; exiting with requests still open');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  try {
    await drain();
    await app.close();
    await metricsApp?.close();
    logger.info('HTTP server closed: in-flight requests answered');
    await rt.close();
    logger.info('jobs stopped, usage flushed, Redis and cache channel closed');
    await db.close();
    logger.info('stopped');
    process.exit(0);
  } catch (err) {
    logger.error({ err }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// Listen last: a SIGTERM that arrives as soon as the port answers already drains gracefully.
await app.listen({ port: config.port, host: config.host });
if (metricsApp) await metricsApp.listen({ port: config.metricsPort, host: config.host });
// Background loading (the embedding model, the Stripe and MCP SDKs: ~0.4 s of this thread's CPU)
// waits a moment, so that the first requests (the platform's health probe) are not queued behind it.
setTimeout(listening, BACKGROUND_DELAY_MS);
logger.info(
  {
    url: config.publicUrl,
    database: db.embedded ? `embedded (${config.embeddedDbDir})` : 'external',
    redis: Boolean(config.redisUrl),
    billing: config.billingEnabled ? 'enabled' : 'disabled (self-hosted)',
    ...(metricsApp ? { metricsPort: config.metricsPort } : {}),
  },
  'Stellar Memory API listening',
);
