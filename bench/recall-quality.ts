import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, RecallMemoriesDocument, StoreMemoriesDocument } from '../sdk/index.js';
import { startServer, throwawayDatabase, waitForEmbeddings, type BenchServer } from './lib.js';
import { bm25Baseline, loadLocomo, score, type Answer, type Conversation, type Scored } from './locomo.js';

/**
 * `npm run bench -- recall-quality`: the LoCoMo development split scored exactly as
 * ../shared/datasets/README.md says, through the public API, beside BM25 (minisearch) computed in
 * the same run on the same turns. On the embedded database, and on PostgreSQL when DATABASE_URL is set.
 *
 * Every turn is stored with `storeMemories` (batches of 100, in conversation order) as
 * "<speaker>: <text>", occurredAt = its session's date, metadata { session, date }, one agent per
 * conversation. Once the server has embedded everything (a bench-only field of bench/servers/stellar.ts
 * reports the memories still without a vector), each question of categories 1–4 is asked with
 * `recallMemories(limit: 10)`; @5 figures are the first five of that answer (the ranking does not
 * depend on `limit`). Questions are asked one at a time, in order, like an agent would: each recall
 * bumps the recall count of what it returns, as in production.
 */

const STORE_BATCH = 100;
const K = 10;
/** How long the server may take to embed everything before the bench gives up waiting. */
const SETTLE_TIMEOUT_MS = 15 * 60_000;

interface ServerInfo {
  url: string;
  apiKey: string;
  userId: string;
}

/** The targets of issue 16 for this split, against BM25 of the same run. */
function targets(product: Scored, bm25: Scored) {
  const categoriesWithin1 = Object.entries(product.perCategory).map(([name, m]) => ({
    category: name,
    delta: Math.round((m.evidenceRecall - bm25.perCategory[name]!.evidenceRecall) * 10) / 10,
  }));
  return {
    recallAtLeast68: product.overall.evidenceRecall >= 68,
    recall4AboveBm25: product.overall.evidenceRecall >= bm25.overall.evidenceRecall + 4,
    hit3AboveBm25: product.overall.hit >= bm25.overall.hit + 3,
    noCategoryMoreThan1Below: categoriesWithin1.every((c) => c.delta >= -1),
    categoryDeltas: categoriesWithin1,
  };
}

async function runProduct(server: BenchServer<ServerInfo>, conversations: Conversation[]) {
  const client = createClient({ url: server.info.url, apiKey: server.info.apiKey });
  const storeStarted = Date.now();
  const idToTurn = new Map<string, string>();
  for (const conversation of conversations) {
    for (let start = 0; start < conversation.turns.length; start += STORE_BATCH) {
      const turns = conversation.turns.slice(start, start + STORE_BATCH);
      const { storeMemories } = await client.request(StoreMemoriesDocument, {
        inputs: turns.map((turn) => ({
          agent: conversation.agent,
          content: turn.content,
          occurredAt: turn.occurredAt.toISOString(),
          metadata: { session: turn.session, date: turn.date },
        })),
      });
      // A repeated turn in one conversation is deduplicated onto the first: either id names it.
      storeMemories.forEach((stored, i) => {
        if (!idToTurn.has(stored.memory.id)) idToTurn.set(stored.memory.id, turns[i]!.id);
      });
    }
  }
  const storeSeconds = Math.round((Date.now() - storeStarted) / 100) / 10;
  const settleSeconds = Math.round((await waitForEmbeddings(server, SETTLE_TIMEOUT_MS)) * 10) / 10;

  const answers: Answer[] = [];
  const latencies: number[] = [];
  for (const conversation of conversations) {
    for (const question of conversation.questions) {
      const started = performance.now();
      const { recallMemories } = await client.request(RecallMemoriesDocument, { input: { query: question.question, agent: conversation.agent, limit: K } });
      latencies.push(performance.now() - started);
      answers.push({ question, ranked: recallMemories.map((hit) => idToTurn.get(hit.memory.id) ?? hit.memory.id) });
    }
  }
  latencies.sort((a, b) => a - b);
  const ms = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) / 10;
  return { answers, storeSeconds, settleSeconds, recallP50Ms: ms(0.5), recallP95Ms: ms(0.95), peakRssMb: Math.round(await server.peakRssMb()) };
}

export async function benchRecallQuality(opts: { databaseUrl?: string; redisUrl?: string }): Promise<Record<string, unknown>> {
  const conversations = await loadLocomo();
  const baselineAnswers: Answer[] = conversations.flatMap((conversation) => {
    const search = bm25Baseline(conversation.turns);
    return conversation.questions.map((question) => ({ question, ranked: search(question.question, K) }));
  });
  const bm25 = { at10: score(baselineAnswers, 10), at5: score(baselineAnswers, 5) };
  const result: Record<string, unknown> = {
    dataset: { conversations: conversations.length, turns: conversations.reduce((n, c) => n + c.turns.length, 0), questions: baselineAnswers.length },
    bm25,
  };

  const databases: { name: string; env: () => Promise<{ env: Record<string, string | undefined>; cleanup(): Promise<void> }> }[] = [
    {
      name: 'embedded',
      env: async () => {
        const dir = await mkdtemp(join(tmpdir(), 'stellar-bench-quality-'));
        return { env: { DATABASE_URL: undefined, REDIS_URL: undefined, EMBEDDED_DB_DIR: join(dir, 'pg') }, cleanup: () => rm(dir, { recursive: true, force: true }) };
      },
    },
    ...(opts.databaseUrl
      ? [
          {
            name: 'postgres',
            env: async () => {
              const database = await throwawayDatabase(opts.databaseUrl!, 'quality');
              return { env: { DATABASE_URL: database.url, REDIS_URL: opts.redisUrl }, cleanup: () => database.drop() };
            },
          },
        ]
      : []),
  ];
  for (const database of databases) {
    console.error(`bench recall-quality: ${database.name}…`);
    const { env, cleanup } = await database.env();
    let server: BenchServer<ServerInfo> | undefined;
    try {
      server = await startServer<ServerInfo>('bench/servers/stellar.ts', env);
      const { answers, ...figures } = await runProduct(server, conversations);
      const product = { at10: score(answers, 10), at5: score(answers, 5) };
      result[database.name] = { ...figures, product, targets: targets(product.at10, bm25.at10) };
    } finally {
      await server?.stop();
      await cleanup();
    }
  }
  return result;
}
