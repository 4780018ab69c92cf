import { mkdir, writeFile } from 'node:fs/promises';
import { benchAuthLimit } from './auth-limit.js';
import { benchMemories } from './memories.js';

/**
 * `npm run bench [-- scenario …]`: runs each scenario beside its baseline in the same run and writes
 * bench/results/latest.json. Uses DATABASE_URL / REDIS_URL when set (the PostgreSQL and Redis
 * variants), the embedded database otherwise. BENCH_DURATION (seconds per measurement) defaults to 10.
 */
const durationSec = Number(process.env.BENCH_DURATION ?? 10);
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;

const scenarios: Record<string, () => Promise<unknown>> = {
  'auth-limit': () => benchAuthLimit({ databaseUrl, redisUrl, durationSec, connections: 50 }),
  // Half a million memories need a real PostgreSQL.
  ...(databaseUrl ? { memories: () => benchMemories({ databaseUrl, durationSec, redisUrl }) } : {}),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const results: Record<string, unknown> = { date: new Date().toISOString(), durationSec, machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };
for (const [name, run] of Object.entries(scenarios)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.error(`bench: ${name}…`);
  results[name] = await run();
  console.log(JSON.stringify({ [name]: results[name] }, null, 2));
}
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.error('bench: written to bench/results/latest.json');
