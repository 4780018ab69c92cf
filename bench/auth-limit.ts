import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, ratio, startServer, summarizeRounds, withCpuPerRequest, type BenchServer, type LoadResult } from './lib.js';

/**
 * Issue 3's figure: the full auth + rate-limit + directive path against Apollo answering a trivial
 * query, in the same process setup (each server a child process, autocannon in this one). The
 * stellar server runs once per counter store: memory (embedded database), Redis, PostgreSQL.
 * The embedded server is measured as it runs after its first start, on an existing data folder:
 * the very first start also runs initdb, whose peak (reported as firstStartPeakRssMb) is a one-time cost.
 *
 * Throughput on a small shared VM drifts by a third within minutes, both ways, so one measurement
 * per server would mostly compare moments. Every server is started once and measured `rounds` times,
 * in turn (baseline, memory, Redis, PostgreSQL, then again); each figure is the median of its rounds
 * and each ratio compares medians. The single rounds are kept in the results.
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
  rounds: number;
}

interface Contender {
  name: string;
  query: string;
  server: BenchServer<{ url: string; apiKey?: string }>;
  rounds: (LoadResult & { cpuUsPerRequest: number })[];
}

export async function benchAuthLimit(options: AuthLimitOptions) {
  const contenders: Contender[] = [];
  const embeddedDir = await mkdtemp(join(tmpdir(), 'stellar-bench-pg-'));
  try {
    contenders.push({ name: 'baseline', query: '{ hello }', server: await startServer('bench/servers/trivial.ts'), rounds: [] });
    const firstStart = await startServer<StellarInfo>('bench/servers/stellar.ts', embeddedEnv(embeddedDir));
    const firstStartPeakRssMb = Math.round(await firstStart.peakRssMb());
    await firstStart.stop();

    const stores: [string, Record<string, string | undefined>][] = [['memory', embeddedEnv(embeddedDir)]];
    if (options.redisUrl) stores.push(['redis', { DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl }]);
    if (options.databaseUrl) stores.push(['postgres', { DATABASE_URL: options.databaseUrl, REDIS_URL: undefined }]);
    for (const [name, env] of stores) {
      const server = await startServer<StellarInfo>('bench/servers/stellar.ts', env);
      contenders.push({ name, query: '{ benchPing }', server, rounds: [] });
      if (server.info.counters !== name) throw new Error(`expected ${name} counters, server uses ${server.info.counters}`);
    }

    const measure = ({ server, query }: Contender, durationSec: number) => {
      const headers: Record<string, string> = server.info.apiKey ? { authorization: `Bearer ${server.info.apiKey}` } : {};
      return load({ url: server.info.url, query, headers, connections: options.connections, durationSec });
    };
    for (const contender of contenders) await measure(contender, 2); // warm-up
    for (let round = 0; round < options.rounds; round++) {
      for (const contender of contenders) {
        contender.rounds.push(await withCpuPerRequest(contender.server, options.durationSec, () => measure(contender, options.durationSec)));
      }
    }

    const results: Record<string, unknown> = {};
    const summary = async ({ rounds, server }: Contender) => {
      const { rounds: single, ...figures } = summarizeRounds(rounds, {
        medians: ['requestsPerSec', 'cpuUsPerRequest', 'p50Ms', 'p99Ms'],
        totals: ['non2xx', 'errors', 'graphqlErrors'],
        perRound: ['requestsPerSec', 'cpuUsPerRequest'],
      });
      return { ...figures, peakRssMb: Math.round(await server.peakRssMb()), rounds: single };
    };
    const baseline = await summary(contenders[0]!);
    results.baseline = { query: '{ hello }', ...baseline };
    for (const contender of contenders.slice(1)) {
      const measured = await summary(contender);
      results[contender.name] = {
        query: '{ benchPing } (@auth @rateLimit)',
        ...measured,
        ...(contender.name === 'memory' ? { firstStartPeakRssMb } : {}),
        ratioToBaseline: ratio(measured.requestsPerSec, baseline.requestsPerSec),
        cpuRatioToBaseline: ratio(baseline.cpuUsPerRequest, measured.cpuUsPerRequest),
      };
    }
    return { rounds: options.rounds, ...results };
  } finally {
    for (const { server } of contenders) await server.stop();
    await rm(embeddedDir, { recursive: true, force: true });
  }
}

const embeddedEnv = (dir: string) => ({ DATABASE_URL: undefined, REDIS_URL: undefined, EMBEDDED_DB_DIR: dir });
