import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, ratio, startServer, withCpuPerRequest, type BenchServer } from './lib.js';

/**
 * Issue 3's figure: the full auth + rate-limit + directive path against Apollo answering a trivial
 * query, in the same process setup (each server a child process, autocannon in this one). The
 * stellar server runs once per counter store: memory (embedded database), Redis, PostgreSQL.
 * The embedded server is measured as it runs after its first start, on an existing data folder:
 * the very first start also runs initdb, whose peak (reported as firstStartPeakRssMb) is a one-time cost.
 */

interface StellarInfo {
  url: string;
  apiKey: string;
  counters: string;
}

export interface AuthLimitOptions {
  databaseUrl?: string;
  redisUrl?: string;
  durationSec: number;
  connections: number;
}

export async function benchAuthLimit(options: AuthLimitOptions) {
  const run = async (server: BenchServer<{ url: string; apiKey?: string }>, query: string) => {
    try {
      const headers: Record<string, string> = server.info.apiKey ? { authorization: `Bearer ${server.info.apiKey}` } : {};
      await load({ url: server.info.url, query, headers, connections: options.connections, durationSec: 2 }); // warm-up
      const measured = await withCpuPerRequest(server, options.durationSec, () =>
        load({ url: server.info.url, query, headers, connections: options.connections, durationSec: options.durationSec }),
      );
      return { ...measured, peakRssMb: Math.round(await server.peakRssMb()) };
    } finally {
      await server.stop();
    }
  };

  const baseline = await run(await startServer('bench/servers/trivial.ts'), '{ hello }');
  const results: Record<string, unknown> = { baseline: { query: '{ hello }', ...baseline } };
  const embeddedDir = await mkdtemp(join(tmpdir(), 'stellar-bench-pg-'));
  try {
    const firstStart = await startServer<StellarInfo>('bench/servers/stellar.ts', embeddedEnv(embeddedDir));
    const firstStartPeakRssMb = Math.round(await firstStart.peakRssMb());
    await firstStart.stop();

    const stores: [string, Record<string, string | undefined>][] = [['memory', embeddedEnv(embeddedDir)]];
    if (options.redisUrl) stores.push(['redis', { DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl }]);
    if (options.databaseUrl) stores.push(['postgres', { DATABASE_URL: options.databaseUrl, REDIS_URL: undefined }]);
    for (const [name, env] of stores) {
      const server = await startServer<StellarInfo>('bench/servers/stellar.ts', env);
      if (server.info.counters !== name) throw new Error(`expected ${name} counters, server uses ${server.info.counters}`);
      const measured = await run(server, '{ benchPing }');
      results[name] = {
        query: '{ benchPing } (@auth @rateLimit)',
        ...measured,
        ...(name === 'memory' ? { firstStartPeakRssMb } : {}),
        ratioToBaseline: ratio(measured.requestsPerSec, baseline.requestsPerSec),
        cpuRatioToBaseline: ratio(baseline.cpuUsPerRequest, measured.cpuUsPerRequest),
      };
    }
  } finally {
    await rm(embeddedDir, { recursive: true, force: true });
  }
  return results;
}

const embeddedEnv = (dir: string) => ({ DATABASE_URL: undefined, REDIS_URL: undefined, EMBEDDED_DB_DIR: dir });
