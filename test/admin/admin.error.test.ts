import { describe, expect, it } from 'vitest';
import {
  AdminGrantTierDocument,
  AdminReconcileDocument,
  AdminReplayWebhookEventDocument,
  AdminRevokeGrantDocument,
  AdminWebhookEventsDocument,
  BadUserInputError,
  NotFoundError,
  ProviderNotConfiguredError,
  createClient,
} from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { ADMIN_KEY, useBillingServer } from '../support/billing.js';

/** What the admin operations refuse, and why. */

const ctx = useBillingServer({ providers: ['stripe'] });
const admin = () => createClient({ url: ctx.server.graphqlUrl, apiKey: ADMIN_KEY });

async function fieldOf(run: Promise<unknown>): Promise<unknown> {
  const err = await run.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(BadUserInputError);
  return (err as BadUserInputError).field;
}

describe('adminGrantTier refuses', () => {
  it('FREE, an empty or overlong reason, an expiry in the past, a malformed email', async () => {
    const user = await registerUser(ctx.server);
    const grant = (input: Partial<{ email: string; tier: 'FREE' | 'PRO' | 'TEAM'; expiresAt: string; reason: string }>) =>
      admin().request(AdminGrantTierDocument, { input: { email: user.email, tier: 'PRO', reason: 'support', ...input } });
    expect(await fieldOf(grant({ tier: 'FREE' }))).toBe('tier');
    expect(await fieldOf(grant({ reason: '   ' }))).toBe('reason');
    expect(await fieldOf(grant({ reason: 'x'.repeat(501) }))).toBe('reason');
    expect(await fieldOf(grant({ expiresAt: new Date(Date.now() - 1000).toISOString() }))).toBe('expiresAt');
    expect(await fieldOf(grant({ email: 'not-an-email' }))).toBe('email');
    expect(await ctx.server.sql(`select count(*)::int as n from grants where user_id = ?`, [user.id])).toEqual([{ n: 0 }]);
  });

  it('an email without an account: NOT_FOUND', async () => {
    await expect(admin().request(AdminGrantTierDocument, { input: { email: 'nobody-at-all@example.com', tier: 'PRO', reason: 'x' } })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('unknown ids', () => {
  it('adminRevokeGrant and adminReplayWebhookEvent: NOT_FOUND, malformed ids included', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      await expect(admin().request(AdminRevokeGrantDocument, { id, reason: 'x' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(admin().request(AdminReplayWebhookEventDocument, { id })).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('adminRevokeGrant needs a reason too', async () => {
    expect(await fieldOf(admin().request(AdminRevokeGrantDocument, { id: '00000000-0000-4000-8000-000000000000', reason: '' }))).toBe('reason');
  });
});

describe('adminReconcile and adminWebhookEvents', () => {
  it('a provider that is off: PROVIDER_NOT_CONFIGURED', async () => {
    await expect(admin().request(AdminReconcileDocument, { provider: 'LEMON_SQUEEZY' })).rejects.toBeInstanceOf(ProviderNotConfiguredError);
  });

  it('a page size out of range or a cursor this API did not give out: BAD_USER_INPUT', async () => {
    expect(await fieldOf(admin().request(AdminWebhookEventsDocument, { first: 0 }))).toBe('first');
    expect(await fieldOf(admin().request(AdminWebhookEventsDocument, { first: 201 }))).toBe('first');
    expect(await fieldOf(admin().request(AdminWebhookEventsDocument, { after: 'bm90IGEgY3Vyc29y' }))).toBe('after');
  });
});
