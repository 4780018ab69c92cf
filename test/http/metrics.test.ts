import { describe, expect, it } from 'vitest';
import { CreateApiKeyDocument, MeDocument, RegisterDocument } from '../../sdk/index.js';
import { registerUser, uniqueEmail } from '../support/accounts.js';
import { freshWindow } from '../support/limits.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer({ env: { PUBLIC_RATE_LIMIT: '2' } });

const scrape = async () => {
  const response = await fetch(`${ctx.server.url}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
};

const sample = (text: string, name: string, labels: Record<string, string>) => {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('/metrics', () => {
  it('exports request and operation latency, refusals by tier, pool use and job runs', async () => {
    // The three public mutations below must share one per-IP window for the third to be refused.
    await freshWindow(5_000);
    const user = await registerUser(ctx.server);
    await user.client.request(MeDocument, {}, {});
    await user.client.raw(CreateApiKeyDocument, { input: { name: 'second' } }); // FREE: quota refusal
    await ctx.server.client().raw(RegisterDocument, { input: { email: uniqueEmail() } });
    await ctx.server.client().raw(RegisterDocument, { input: { email: uniqueEmail() } }); // third public mutation: 429
    await fetch(`${ctx.server.url}/no/such/path/${Math.random()}`);
    await ctx.server.rt.scheduler.runNow('flush-usage');

    const text = await scrape();
    expect(sample(text, 'stellar_http_request_duration_seconds_count', { route: '/graphql', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'stellar_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('/no/such/path');
    expect(sample(text, 'stellar_graphql_operation_duration_seconds_count', { operation: 'Me', type: 'query', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'stellar_quota_refusals_total', { tier: 'FREE', resource: 'API_KEYS' })).toBe(1);
    expect(sample(text, 'stellar_rate_limit_refusals_total', { tier: 'ip' })).toBe(1);
    expect(text).toMatch(/stellar_db_pool_connections\{state="used"\} \d+/);
    expect(sample(text, 'stellar_job_runs_total', { job: 'flush-usage', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
