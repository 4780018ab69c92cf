import { describe, expect, it } from 'vitest';
import { BadUserInputError, CreateAgentDocument, DeleteAgentDocument, NotFoundError, QuotaExceededError } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUser, useUser } from '../support/accounts.js';
import { counter, rowCount } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();
const pro = useUser(ctx, Tier.PRO);

describe('agent errors', () => {
  it.each(['', 'has space', 'x'.repeat(65), 'slash/name', 'ünïcode'])('createAgent and deleteAgent refuse the name %j with BAD_USER_INPUT on name', async (name) => {
    for (const request of [() => pro.client.request(CreateAgentDocument, { name }), () => pro.client.request(DeleteAgentDocument, { name })]) {
      const error = await request().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadUserInputError);
      expect((error as BadUserInputError).field).toBe('name');
    }
    expect(await rowCount(ctx.server.sql, pro.id, 'agents')).toBe(1);
  });

  it('refuses an existing name', async () => {
    await pro.client.request(CreateAgentDocument, { name: 'taken' });
    const error = await pro.client.request(CreateAgentDocument, { name: 'taken' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('name');
    expect(await counter(ctx.server.sql, pro.id, 'AGENTS')).toBe(await rowCount(ctx.server.sql, pro.id, 'agents'));
  });

  it('refuses a FREE account a second agent with QUOTA_EXCEEDED', async () => {
    const free = await registerUser(ctx.server);
    const error = await free.client.request(CreateAgentDocument, { name: 'second' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    const quota = error as QuotaExceededError;
    expect([quota.resource, quota.limit, quota.used, quota.upgradeTier]).toEqual(['AGENTS', 1, 1, 'PRO']);
    expect(quota.message).toBe('Agent limit reached (1/1). Upgrade to PRO for 5: http://localhost:8080/#pricing');
  });

  it('deleteAgent of an unknown agent is NOT_FOUND', async () => {
    await expect(pro.client.request(DeleteAgentDocument, { name: 'never-made' })).rejects.toBeInstanceOf(NotFoundError);
  });
});
