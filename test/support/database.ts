import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, inject } from 'vitest';
import { withAdmin } from './global-setup.js';

/**
 * Each test file gets its own database: a copy of the migrated template on PostgreSQL, or (without
 * a server) an embedded PGlite per test server started from the migrated snapshot.
 */

export const databaseMode = () => inject('databaseMode');
export const sharedDatabaseAvailable = () => inject('databaseMode') === 'postgres';
export const SHARED_DATABASE_SKIP_REASON = 'needs DATABASE_URL: two server processes cannot share an in-process embedded database';

let fileDatabaseUrl: Promise<string> | undefined;

/** A new PostgreSQL database copied from the migrated template, dropped after the test file. */
export async function freshDatabase(): Promise<string> {
  const server = inject('postgresUrl');
  const name = `stellar_t_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  await withAdmin(server, (c) => c.query(`create database ${name} template ${inject('templateDatabase')}`));
  afterAll(async () => {
    await withAdmin(server, (c) => c.query(`drop database if exists ${name} with (force)`));
  });
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

/** This test file's PostgreSQL database URL (created on first use), shared by its servers. */
export function fileDatabase(): Promise<string> {
  fileDatabaseUrl ??= freshDatabase();
  return fileDatabaseUrl;
}

/**
 * A new, empty PostgreSQL database owned by a role that is not a superuser, so it may not create
 * pgvector (an untrusted extension): a server on it runs without vector search, as on a managed
 * PostgreSQL that lacks the extension. Dropped after the test file.
 */
export async function databaseWithoutPgvector(): Promise<string> {
  const server = inject('postgresUrl');
  const role = 'stellar_test_no_superuser';
  const name = `stellar_t_${inject('runId')}_nv_${randomBytes(4).toString('hex')}`;
  await withAdmin(server, async (c) => {
    await c.query(`do $$ begin if not exists (select 1 from pg_roles where rolname = '${role}') then create role ${role} login; end if; end $$`);
    await c.query(`create database ${name} owner ${role}`);
  });
  afterAll(async () => {
    await withAdmin(server, (c) => c.query(`drop database if exists ${name} with (force)`));
  });
  const url = new URL(server);
  url.username = role;
  url.password = '';
  url.pathname = `/${name}`;
  return url.toString();
}

let snapshot: Promise<Blob> | undefined;

/** The migrated embedded snapshot, to start a fresh PGlite in about 0.4 s. */
export function embeddedSnapshot(): Promise<Blob> {
  snapshot ??= readFile(inject('embeddedSnapshotFile')).then((bytes) => new Blob([bytes]));
  return snapshot;
}
