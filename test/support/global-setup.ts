import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { snapshotEmbedded } from '../../src/db/embedded.js';
import { initOrm, migrate } from '../../src/db/orm.js';

/**
 * Once per test run: a migrated template database (CREATE DATABASE … TEMPLATE makes each test
 * file's own copy in milliseconds) on DATABASE_URL, or a migrated PGlite snapshot when there is no
 * server. What runs against what is printed, including what is skipped and why.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    databaseMode: 'postgres' | 'embedded';
    /** postgres: the server URL and the template database name. */
    postgresUrl: string;
    templateDatabase: string;
    /** embedded: a file holding the migrated snapshot. */
    embeddedSnapshotFile: string;
    redisUrl: string;
    runId: string;
  }
}

async function migrateUrl(url: string): Promise<void> {
  const orm = await initOrm({ url, poolMax: 2 });
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
}

export async function withAdmin<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject) {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  project.provide('runId', runId);
  const databaseUrl = process.env.DATABASE_URL ?? process.env.STELLAR_DB_URL;
  const redisUrl = process.env.REDIS_URL ?? '';
  project.provide('redisUrl', redisUrl);
  console.log(`[tests] Redis: ${redisUrl ? redisUrl : 'not set — Redis-backed tests are skipped (set REDIS_URL to run them)'}`);

  if (databaseUrl) {
    const template = `stellar_tpl_${runId}`;
    await withAdmin(databaseUrl, (c) => c.query(`create database ${template}`));
    const templateUrl = new URL(databaseUrl);
    templateUrl.pathname = `/${template}`;
    await migrateUrl(templateUrl.toString());
    project.provide('databaseMode', 'postgres');
    project.provide('postgresUrl', databaseUrl);
    project.provide('templateDatabase', template);
    project.provide('embeddedSnapshotFile', '');
    console.log(`[tests] database: PostgreSQL at ${new URL(databaseUrl).host} (one database per test file, from template ${template})`);
    return async () => {
      await withAdmin(databaseUrl, async (c) => {
        const { rows } = await c.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`stellar_%${runId}%`]);
        for (const { datname } of rows) await c.query(`drop database if exists ${datname} with (force)`);
      });
    };
  }

  const dir = await mkdtemp(join(tmpdir(), 'stellar-snapshot-'));
  const file = join(dir, 'snapshot.tar');
  const snapshot = await snapshotEmbedded(migrateUrl);
  await writeFile(file, Buffer.from(await snapshot.arrayBuffer()));
  project.provide('databaseMode', 'embedded');
  project.provide('postgresUrl', '');
  project.provide('templateDatabase', '');
  project.provide('embeddedSnapshotFile', file);
  console.log('[tests] database: embedded PGlite (DATABASE_URL not set); tests needing two server processes on one database are skipped');
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
