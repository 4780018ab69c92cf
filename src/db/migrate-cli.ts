import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase } from './database.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
try {
  const config = loadConfig();
  const logger = createLogger(config);
  const db = await openDatabase(config, logger, { migrate: true });
  logger.info('database is up to date');
  await db.close();
} catch (err) {
  if (err instanceof ConfigError) for (const problem of err.problems) console.error(`config error: ${problem}`);
  else console.error(err);
  process.exit(1);
}
