import 'reflect-metadata';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { metricsServer } from './http/metrics.js';
import { createLogger } from './logger.js';
import { boundHeapGrowth } from './memory-policy.js';
import { createRuntime } from './runtime.js';

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

boundHeapGrowth();
const logger = createLogger(config);
const db = await openDatabase(config, logger, { migrate: true }).catch(exitOnConfigError);
const rt = await createRuntime(config, logger, db);
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
