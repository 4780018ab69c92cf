import 'reflect-metadata';
import { Ctx, Directive, Int, Query, Resolver } from 'type-graphql';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { Tier } from '../../src/entities/enums.js';
import type { GraphQLContext } from '../../src/graphql/context.js';
import { createLogger } from '../../src/logger.js';
import { boundHeapGrowth } from '../../src/memory-policy.js';
import { createRuntime } from '../../src/runtime.js';
import { buildGraphQLSchema } from '../../src/graphql/schema/build.js';
import { createAccount, findUserByEmail } from '../../src/services/accounts/accounts.js';
import { issueApiKey } from '../../src/services/accounts/api-keys.js';
import { PLANS } from '../../src/plans.js';

/**
 * The product's server as production composes it, plus two bench-only changes: a `benchPing`
 * field that carries the real `@auth @rateLimit` directives around a resolver that does nothing
 * (so the figure is the auth + limit + directive path itself), `benchPendingEmbeddings` (what the
 * embedding worker has left), and a bench user whose per-minute
 * and memory limits are too high to reach, so the limiter and the quota count every request but never refuse.
 * Prints `{ url, apiKey, userId, counters }` on stdout when ready.
 */
@Resolver()
class BenchResolver {
  @Query(() => Boolean)
  @Directive('@auth')
  @Directive('@rateLimit')
  benchPing(@Ctx() ctx: GraphQLContext): boolean {
    return ctx.rateLimit !== null;
  }

  /** Memories still without a vector while this server can embed them: the recall-quality bench waits for 0. */
  @Query(() => Int)
  @Directive('@auth')
  async benchPendingEmbeddings(@Ctx() ctx: GraphQLContext): Promise<number> {
    if (!ctx.rt.semantic.canEmbed) return 0;
    const [row] = await ctx.em.execute<{ n: number }[]>(`select count(*)::int as n from memories where embedding is null`);
    return row!.n;
  }
}

const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', PORT: '0', HOST: '127.0.0.1' });
boundHeapGrowth();
const logger = createLogger(config);
const db = await openDatabase(config, logger, { migrate: true });
const rt = await createRuntime(config, logger, db);
const unlimited = { tier: Tier.TEAM, limits: { ...PLANS[Tier.TEAM].limits, requestsPerMinute: 1_000_000_000, maxMemories: 1_000_000_000 }, owner: false };
rt.entitlements.forUser = async () => unlimited;
// BENCH_USER_EMAIL: the account of a database seeded by an earlier run (a new key for it), else a new one.
const email = process.env.BENCH_USER_EMAIL ?? `bench-${Date.now()}@example.com`;
const existing = await findUserByEmail(rt.forkEm(), email);
const account = existing
  ? { user: existing, apiKey: await issueApiKey(rt.forkEm(), existing.id, 'bench') }
  : await createAccount(rt.forkEm(), email);
const app = await buildApp(rt, { schema: await buildGraphQLSchema({ extraResolvers: [BenchResolver] }) });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
console.log(JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`, apiKey: account!.apiKey.secret, userId: account!.user.id, counters: rt.rateLimiter.store.kind }));
process.on('SIGTERM', async () => {
  await app.close();
  await rt.close();
  await db.close();
  process.exit(0);
});
