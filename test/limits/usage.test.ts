import { describe, expect, it } from 'vitest';
import { MeDocument, PlansDocument, UsageDocument } from '../../sdk/index.js';
import { UsageMeter, periodOf } from '../../src/services/limits/usage.js';
import { registerUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('usage', () => {
  it('reports live counts, limits, the rate-limit window and this month, with consistent headers', async () => {
    const user = await registerUser(ctx.server);
    for (let i = 0; i < 5; i++) await user.client.request(MeDocument);
    const response = await user.client.raw(UsageDocument);
    const usage = response.data!.usage;
    expect(usage).toMatchObject({ tier: 'FREE', apiKeys: 1, agents: expect.any(Number), memories: 0 });
    expect(usage.limits).toEqual({ maxMemories: 5000, maxAgents: 1, requestsPerMinute: 60, maxApiKeys: 1 });
    expect(usage.requestsThisPeriod).toBe(6); // five `me` and this `usage`
    expect(new Date(usage.periodStart).toISOString()).toBe(`${periodOf()}T00:00:00.000Z`);

    const reset = Number(response.headers.get('x-ratelimit-reset'));
    expect(Number(response.headers.get('x-ratelimit-limit'))).toBe(60);
    expect(Number(response.headers.get('x-ratelimit-remaining'))).toBe(60 - usage.requestsThisMinute);
    expect(reset * 1000).toBe(new Date(usage.rateLimitResetAt).getTime());
    expect(reset * 1000 - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('keeps the flushed totals in one row per user and month under concurrent writers', async () => {
    const user = await registerUser(ctx.server);
    await ctx.server.rt.scheduler.runNow('flush-usage');
    const [before] = await ctx.server.sql<{ requests: string }>(`select requests from usage_periods where user_id = ?`, [user.id]);
    // Three meters stand for three instances flushing into the same row at the same moment.
    const meters = [0, 1, 2].map(() => new UsageMeter(ctx.server.rt.forkEm, ctx.server.rt.logger));
    for (const meter of meters) for (let i = 0; i < 10; i++) meter.record(user.id, { requests: 1, stores: 2, recalls: 3 });
    await Promise.all(meters.map((m) => m.flush()));
    const rows = await ctx.server.sql<{ requests: string; stores: string; recalls: string }>(`select requests, stores, recalls from usage_periods where user_id = ?`, [user.id]);
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.requests) - Number(before?.requests ?? 0)).toBe(30);
    expect([Number(rows[0]!.stores), Number(rows[0]!.recalls)]).toEqual([60, 90]);
  });
});

describe('usage meter', () => {
  it('keeps counting what a flush is still writing, so a report never dips', async () => {
    const user = await registerUser(ctx.server);
    const meter = new UsageMeter(ctx.server.rt.forkEm, ctx.server.rt.logger);
    meter.record(user.id, { requests: 3, stores: 2 });
    const flushing = meter.flush();
    // The write is on its way to the database: not yet in the row, but still in the report.
    expect(meter.unflushed(user.id)).toEqual({ requests: 3, stores: 2, recalls: 0 });
    await flushing;
    expect(meter.unflushed(user.id)).toEqual({ requests: 0, stores: 0, recalls: 0 });
    const [row] = await ctx.server.sql<{ requests: string }>(`select requests from usage_periods where user_id = ?`, [user.id]);
    expect(Number(row!.requests)).toBeGreaterThanOrEqual(3);
  });
});

describe('plans', () => {
  it('serves the plan table with no prices for FREE', async () => {
    const { plans } = await ctx.server.client().request(PlansDocument);
    expect(plans.map((p) => [p.tier, p.limits.maxMemories, p.limits.maxAgents, p.limits.requestsPerMinute, p.limits.maxApiKeys])).toEqual([
      ['FREE', 5_000, 1, 60, 1],
      ['PRO', 50_000, 5, 300, 5],
      ['TEAM', 500_000, 20, 1_000, 20],
    ]);
    expect(plans[0]!.prices).toEqual([]);
    // Only the demo provider is on in this test server: priced like Stripe.
    expect(plans[1]!.prices).toEqual([{ provider: 'DEMO', amount: 2_900, currency: 'USD', interval: 'month' }]);
    expect(plans[2]!.prices).toEqual([{ provider: 'DEMO', amount: 9_900, currency: 'USD', interval: 'month' }]);
  });
});
