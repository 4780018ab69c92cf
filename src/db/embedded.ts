import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A postgres:// URL the normal `pg` driver connects to. */
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL's default 128 MB of shared buffers is touched at start and stays resident, most of an
 * embedded server's memory; 16 MB keeps a development server or a small VM well inside its budget
 * (the data folder's pages are still cached by the file layer underneath).
 */
const EMBEDDED_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * V8 runs WebAssembly first as quickly compiled baseline code (Liftoff) and recompiles hot functions
 * with its optimizing compiler in background threads. That compiler's working memory goes back to
 * malloc arenas that glibc keeps, so an embedded server stayed about 80 MB larger for good (283 MB
 * against 200 MB after start, and over 300 MB under load). Baseline code runs PGlite's SQL roughly
 * 1.5 times slower, which suits the one-instance embedded setup; production runs on PostgreSQL.
 * Set before PGlite compiles its module; it applies to any later WebAssembly of the process too.
 */
function keepWebAssemblyOnBaselineTier(): void {
  setFlagsFromString('--liftoff-only');
}

/**
 * A new data folder is created (PostgreSQL's initdb) in a child process: initdb inside PGlite takes
 * the process to ~740 MB and leaves it resident at ~640 MB for good (WebAssembly memory never
 * shrinks), against ~200 MB for opening an existing folder. The folder is built beside its place and
 * renamed into it, so a start that is interrupted leaves no half-made folder behind.
 */
async function initializeDataFolder(dir: string): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  if (existsSync(dir)) {
    if ((await readdir(dir)).length > 0) throw new Error(`EMBEDDED_DB_DIR ${dir} is neither empty nor a database folder`);
    await rmdir(dir);
  }
  await mkdir(dirname(dir), { recursive: true });
  const building = join(dirname(dir), `.${basename(dir)}.initdb-${process.pid}`);
  await rm(building, { recursive: true, force: true });
  const script = `const { PGlite } = await import(${JSON.stringify(import.meta.resolve('@electric-sql/pglite'))});
    const db = await PGlite.create(process.argv[1], { startParams: JSON.parse(process.argv[2]) });
    await db.close();`;
  try {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, building, JSON.stringify(EMBEDDED_START_PARAMS)], { env: { ...process.env, NODE_OPTIONS: '' } });
    await rename(building, dir);
  } catch (err) {
    await rm(building, { recursive: true, force: true });
    throw new Error(`could not create the embedded database in ${dir}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
}

/**
 * PGlite with our settings, served on a loopback socket. Every connection shares PGlite's single
 * session; the socket server queues them and keeps a transaction's statements together, so a small
 * pool is safe.
 */
async function servePGlite(dataDir: string, loadDataDir?: Blob) {
  keepWebAssemblyOnBaselineTier();
  const db = await PGlite.create(dataDir, { extensions: { vector, btree_gin }, startParams: EMBEDDED_START_PARAMS, ...(loadDataDir ? { loadDataDir } : {}) });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  return { db, server, url: `postgres://postgres:postgres@${server.getServerConn()}/postgres` };
}

/**
 * PostgreSQL in-process (PGlite) exposed on a loopback socket, so the `pg` driver and MikroORM use
 * it exactly like a server. `dir` is a folder to keep the data in, or `memory` for a throwaway one.
 * `snapshot` (a tarball from `dumpDataDir`) skips initdb, which is most of the cold start.
 */
export async function startEmbeddedPostgres(dir: string, options: { snapshot?: Blob } = {}): Promise<EmbeddedPostgres> {
  // A snapshot is a made folder already: PGlite unpacks it into the directory.
  if (dir !== 'memory') await (options.snapshot ? mkdir(dir, { recursive: true }) : initializeDataFolder(dir));
  const { db, server, url } = await servePGlite(dir === 'memory' ? 'memory://' : dir, options.snapshot);
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** A tarball of a database folder, to start later copies quickly (tests). */
export async function snapshotEmbedded(build: (url: string) => Promise<void>): Promise<Blob> {
  const { db, server, url } = await servePGlite('memory://');
  try {
    await build(url);
  } finally {
    await server.stop();
  }
  const snapshot = await db.dumpDataDir('none');
  await db.close();
  return snapshot;
}
