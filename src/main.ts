import 'reflect-metadata';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { createLogger } from './logger.js';
import { createRuntime } from './runtime.js';

/** Process entry: configuration, database, runtime, HTTP server, and a graceful stop on SIGTERM. */

const SHUTDOWN_DEADLINE_MS = 25_000;

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

const logger = createLogger(config);
const db = await openDatabase(config, logger, { migrate: true }).catch(exitOnConfigError);
const rt = await createRuntime(config, logger, db);
const app = await buildApp(rt);
await app.listen({ port: config.port, host: config.host });
logger.info(
  {
    url: config.publicUrl,
    database: db.embedded ? `embedded (${config.embeddedDbDir})` : 'external',
    redis: Boolean(config.redisUrl),
    billing: config.billingEnabled ? 'enabled' : 'disabled (self-hosted)',
  },
  'Stellar Memory API listening',
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  const deadline = setTimeout(() => {
    logger.error('shutdown deadline passed; exiting with requests still open');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  try {
    await app.close();
    await rt.close();
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
