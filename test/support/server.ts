import 'reflect-metadata';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createClient, type StellarClient } from '../../sdk/index.js';
import { databaseMode, embeddedSnapshot, fileDatabase, freshDatabase } from './database.js';
import type { LogCapture } from './logs.js';

export interface TestServerOptions {
  /** Environment on top of the test defaults (values of undefined remove a default). */
  env?: Record<string, string | undefined>;
  /** Use the run's REDIS_URL (the caller skips the test when there is none). */
  redis?: boolean;
  /** Capture logs (at trace level) instead of discarding them. */
  logs?: LogCapture;
  /**
   * A database of its own instead of the one the test file's servers share (PostgreSQL mode; in
   * embedded mode every server has its own anyway). Counters such as the per-IP limit live there.
   */
  ownDatabase?: boolean;
  /** Listen on this port instead of a random one (browser tests set PUBLIC_URL to it beforehand). */
  port?: number;
  /** The time the server's rules read (default: the system clock); tests move it instead of waiting. */
  clock?: Clock;
}

export interface TestServer {
  url: string;
  graphqlUrl: string;
  config: Config;
  rt: Runtime;
  app: FastifyInstance;
  /** An SDK client for this server, optionally authenticated. */
  client(apiKey?: string): StellarClient;
  /** Runs SQL on the server's database (knex `?` placeholders). */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  /** Mails written to this server's outbox, oldest first. */
  mails(): Promise<{ to: string; subject: string; text: string }[]>;
  close(): Promise<void>;
}

export const redisAvailable = () => inject('redisUrl') !== '';
export const REDIS_SKIP_REASON = 'needs REDIS_URL (a Redis server)';

/** The environment every test server starts from: quiet, loopback, an outbox of its own. */
export async function testEnv(options: TestServerOptions = {}): Promise<Record<string, string | undefined>> {
  const outbox = await mkdtemp(join(tmpdir(), 'stellar-outbox-'));
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: options.logs ? 'trace' : 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: 'http://localhost:8080',
    MAIL_OUTBOX_DIR: outbox,
    EMBEDDED_DB_DIR: 'memory',
    DATABASE_URL: databaseMode() === 'postgres' ? await (options.ownDatabase ? freshDatabase() : fileDatabase()) : undefined,
    REDIS_URL: options.redis ? inject('redisUrl') : undefined,
    // Every test registers from 127.0.0.1; the tests about the per-IP limit set their own.
    PUBLIC_RATE_LIMIT: '10000',
    // Two model threads per test server would crowd the machine: the tests of semantic recall turn
    // a model on (EMBEDDINGS: undefined gives the default, the built-in one).
    EMBEDDINGS: 'off',
  };
  for (const [name, value] of Object.entries(options.env ?? {})) env[name] = value;
  return env;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const env = await testEnv(options);
  const config = loadConfig(env);
  const logger = createLogger(config, options.logs);
  const db = await openDatabase(config, logger, { migrate: true, snapshot: config.databaseUrl ? undefined : await embeddedSnapshot() });
  const rt = await createRuntime(config, logger, db, { clock: options.clock });
  const app = await buildApp(rt);
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  let closed = false;

  return {
    url,
    graphqlUrl: `${url}/graphql`,
    config,
    rt,
    app,
    client: (apiKey) => createClient({ url: `${url}/graphql`, apiKey }),
    sql: (query, params = []) => rt.forkEm().execute(query, params as unknown[]),
    async mails() {
      const files = (await readdir(config.mailOutboxDir).catch(() => [] as string[])).sort();
      return Promise.all(
        files.map(async (file) => {
          const raw = await readFile(join(config.mailOutboxDir, file), 'utf8');
          const [head, ...body] = raw.split('\r\n\r\n');
          const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(head ?? '')?.[1] ?? '';
          return { to: header('To'), subject: header('Subject'), text: body.join('\r\n\r\n') };
        }),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await rt.close();
      await db.close();
      await rm(config.mailOutboxDir, { recursive: true, force: true });
    },
  };
}

/** useTestServer's options, or a function giving them in beforeAll (for what exists only then: a fake's address, a port). */
export type TestServerSetup = TestServerOptions | (() => TestServerOptions | Promise<TestServerOptions>);

/**
 * One server for the test file, or for the describe block this is called in: started in beforeAll,
 * closed in afterAll. Read `ctx.server` inside tests. A hook with fields of its own (useBillingServer's
 * fakes) passes its `ctx` to have the server set on it. Hooks registered before this call run before
 * the server starts and after it closes (vitest's default `sequence.hooks: 'stack'`).
 */
export function useTestServer<C extends object = object>(setup: TestServerSetup = {}, ctx = {} as C): C & { server: TestServer } {
  const withServer = ctx as C & { server: TestServer };
  beforeAll(async () => {
    withServer.server = await startTestServer(typeof setup === 'function' ? await setup() : setup);
  });
  afterAll(() => withServer.server?.close());
  return withServer;
}
