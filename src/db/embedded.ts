import { mkdir } from 'node:fs/promises';
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
  if (dir !== 'memory') await mkdir(dir, { recursive: true });
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
