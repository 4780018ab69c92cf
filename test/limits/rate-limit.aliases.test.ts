import { describe, expect, it } from 'vitest';
import { UsageDocument } from '../../sdk/index.js';
import { registerUser, useUser } from '../support/accounts.js';
import { freshWindow } from '../support/limits.js';
import { useTestServer } from '../support/server.js';

/** Issue 3 point 2: every aliased selection of a metered field spends its cost, and an operation is all or nothing. */

const ctx = useTestServer();
const user = useUser(ctx);

const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: agents { name }`).join(' ')} }`;

describe('aliases and the rate limit', () => {
  it('charges each alias; the operation that would pass the budget runs none of its fields', async () => {
    await freshWindow(20_000);
    const first = await user.client.raw(aliased(25));
    expect(first.errors).toEqual([]);
    expect(Object.keys(first.data as object)).toHaveLength(25);
    expect(first.headers.get('x-ratelimit-remaining')).toBe('35');

    const second = await user.client.raw(aliased(25));
    expect(second.headers.get('x-ratelimit-remaining')).toBe('10');

    const third = await user.client.raw(aliased(25));
    expect(third.status).toBe(429);
    expect(third.data).toBeNull();
    expect(third.errors[0]!.extensions!.code).toBe('RATE_LIMITED');
    // Nothing of the refused operation was spent: the 10 units left are still there (9 here, and
    // one for `usage`, which spends from the budget like every operation).
    expect((await user.client.raw(aliased(9))).errors).toEqual([]);
    expect((await user.client.request(UsageDocument)).usage.requestsThisMinute).toBe(60);
  });

  it('refuses 70 aliased metered fields in one request: none of them resolves', async () => {
    const other = await registerUser(ctx.server);
    const response = await other.client.raw(aliased(70));
    expect(response.status).toBe(400);
    expect(response.data).toBeNull();
    // Only the `usage` query itself was spent.
    expect((await other.client.request(UsageDocument)).usage.requestsThisMinute).toBe(1);
  });
});
