import { describe, expect, it } from 'vitest';
import { ForbiddenError, MeDocument, RegisterDocument, RequestApiKeyRecoveryDocument, UnauthenticatedError, UsageDocument, CreateApiKeyDocument } from '../sdk/index.js';
import { useTestServer } from './support/server.js';

const OWNER_KEY = 'my-self-hosted-owner-key-0123456789';
const ctx = useTestServer({ env: { STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: OWNER_KEY } });

describe('self-hosted mode (STELLAR_BILLING_ENABLED=false)', () => {
  it('treats STELLAR_API_KEY as the owner: TEAM, no limits, no rate-limit headers', async () => {
    const owner = ctx.server.client(OWNER_KEY);
    expect((await owner.request(MeDocument)).me.tier).toBe('TEAM');
    const response = await owner.raw(UsageDocument);
    expect(response.errors).toEqual([]);
    expect(response.data!.usage.limits).toEqual({ maxMemories: null, maxAgents: null, requestsPerMinute: null, maxApiKeys: null });
    expect(response.data!.usage.requestsThisMinute).toBe(0);
    expect(response.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('refuses any other key', async () => {
    await expect(ctx.server.client('sk-stellar-' + 'a'.repeat(32)).request(MeDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(ctx.server.client(OWNER_KEY + 'x').request(MeDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('answers the billing operations with FORBIDDEN "billing is disabled"', async () => {
    const owner = ctx.server.client(OWNER_KEY);
    for (const call of [
      () => ctx.server.client().request(RegisterDocument, { input: { email: 'a@example.com' } }),
      () => ctx.server.client().request(RequestApiKeyRecoveryDocument, { email: 'a@example.com' }),
      () => owner.request(CreateApiKeyDocument, { input: { name: 'x' } }),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForbiddenError);
      expect((error as ForbiddenError).message).toBe('billing is disabled');
    }
  });
});
