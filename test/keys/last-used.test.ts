import { describe, expect, it } from 'vitest';
import { ApiKeysDocument, MeDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

const lastUsedAt = async (keyId: string) => {
  const [row] = await ctx.server.sql<{ last_used_at: string | null }>(`select last_used_at from api_keys where id = ?`, [keyId]);
  return row!.last_used_at === null ? null : new Date(row!.last_used_at);
};

describe('lastUsedAt', () => {
  it('is written once for a burst of requests, not on every request', async () => {
    const user = await registerUser(ctx.server);
    expect(await lastUsedAt(user.keyId)).toBeNull();
    await Promise.all(Array.from({ length: 20 }, () => user.client.request(MeDocument)));
    await ctx.server.rt.scheduler.runNow('flush-usage');
    const first = await lastUsedAt(user.keyId);
    expect(first).toBeInstanceOf(Date);

    await Promise.all(Array.from({ length: 20 }, () => user.client.request(MeDocument)));
    await ctx.server.rt.scheduler.runNow('flush-usage');
    expect(await lastUsedAt(user.keyId)).toEqual(first);
    const { apiKeys } = await user.client.request(ApiKeysDocument);
    expect(new Date(apiKeys[0]!.lastUsedAt!).getTime()).toBe(first!.getTime());
  });
});
