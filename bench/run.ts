import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { benchAuthLimit } from './auth-limit.js';
import { benchMcp } from './mcp.js';
import { benchMemories } from './memories.js';
import { benchRecallQuality } from './recall-quality.js';
import { benchWebhooks } from './webhooks.js';

/**
 * `npm run bench [-- scenario …]` (auth-limit, mcp, memories, webhooks): runs each scenario beside its baseline in the same run and writes
 * bench/results/latest.json (scenarios not run keep their last figures, with their own date). Uses DATABASE_URL / REDIS_URL when set (the PostgreSQL and Redis
 * variants), the embedded database otherwise. BENCH_DURATION (seconds per measurement) defaults to 10; BENCH_ROUNDS (measurements per server, taken
 * in turn, in auth-limit and webhooks) to 3.
 */
const durationSec = Number(process.env.BENCH_DURATION ?? 10);
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const scenarios: Record<string, () => Promise<unknown>> = {
  'auth-limit': () => benchAuthLimit({ databaseUrl, redisUrl, durationSec, connections: 50, rounds }),
  // A recall tool call against the same recall through GraphQL: the embedded database, or a throwaway one on DATABASE_URL.
  mcp: () => benchMcp({ databaseUrl, redisUrl, durationSec, rounds }),
  // Half a million memories need a real PostgreSQL.
  ...(databaseUrl ? { memories: () => benchMemories({ databaseUrl, durationSec, redisUrl }) } : {}),
  // LoCoMo's development split: on the embedded database, and on PostgreSQL too with DATABASE_URL.
  'recall-quality': () => benchRecallQuality({ databaseUrl, redisUrl }),
  // The webhook figure is about real PostgreSQL (the ledger's unique index under concurrent inserts).
  ...(databaseUrl ? { webhooks: () => benchWebhooks({ databaseUrl, durationSec, redisUrl, rounds }) } : {}),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const resultsFile = new URL('./results/latest.json', import.meta.url);
const results = JSON.parse(await readFile(resultsFile, 'utf8').catch(() => '{}')) as Record<string, unknown>;
const machine = { cpus: (await import('node:os')).cpus().length, node: process.version, loadAverage: (await import('node:os')).loadavg()[0] };
for (const [name, run] of Object.entries(scenarios)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.error(`bench: ${name}…`);
  results[name] = { date: new Date().toISOString(), durationSec, machine, ...((await run()) as object) };
  console.log(JSON.stringify({ [name]: results[name] }, null, 2));
  // Each run's figures also stay on record under their date (latest.json keeps only the last).
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL(`./results/${name}-${(results[name] as { date: string }).date.slice(0, 16).replace(':', '')}.json`, import.meta.url), `${JSON.stringify(results[name], null, 2)}\n`);
}
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
console.error('bench: written to bench/results/latest.json');
