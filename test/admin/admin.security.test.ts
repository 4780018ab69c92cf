import { describe, expect, it } from 'vitest';
import { createClient } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { ADMIN_KEY, useBillingServer } from '../support/billing.js';
import { useTestServer } from '../support/server.js';

/**
 * `@admin` (docs/api.md): only ADMIN_API_KEY, in Authorization: Bearer or X-API-Key, reaches the admin
 * operations; anything else is FORBIDDEN. The admin key is not a user key.
 */

const ctx = useBillingServer({ providers: ['stripe'] });

const OPERATIONS: [string, string][] = [
  ['adminUser', '{ adminUser(email: "a@example.com") { id } }'],
  ['adminMetrics', '{ adminMetrics { usersByTier { tier count } } }'],
  ['adminWebhookEvents', '{ adminWebhookEvents { totalCount } }'],
  ['adminGrantTier', 'mutation { adminGrantTier(input: { email: "a@example.com", tier: PRO, reason: "x" }) { id } }'],
  ['adminRevokeGrant', 'mutation { adminRevokeGrant(id: "00000000-0000-4000-8000-000000000000", reason: "x") { id } }'],
  ['adminReplayWebhookEvent', 'mutation { adminReplayWebhookEvent(id: "00000000-0000-4000-8000-000000000000") { id } }'],
  ['adminReconcile', 'mutation { adminReconcile(provider: STRIPE) { checked } }'],
];

async function codeOf(url: string, query: string, headers: Record<string, string>): Promise<string | undefined> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  return body.errors?.[0]?.extensions?.code;
}

describe('@admin', () => {
  it('refuses no key, a user key, a wrong key and a near-miss of the admin key, on every admin operation', async () => {
    const user = await registerUser(ctx.server);
    const callers: [string, Record<string, string>][] = [
      ['no key', {}],
      ['a user key', { authorization: `Bearer ${user.secret}` }],
      ['a wrong key', { authorization: 'Bearer not-the-admin-key-at-all' }],
      ['the admin key with one character changed', { 'x-api-key': `${ADMIN_KEY.slice(0, -1)}x` }],
      ['a prefix of the admin key', { authorization: `Bearer ${ADMIN_KEY.slice(0, 10)}` }],
    ];
    for (const [name, query] of OPERATIONS) {
      for (const [caller, headers] of callers) expect(await codeOf(ctx.server.graphqlUrl, query, headers), `${name} with ${caller}`).toBe('FORBIDDEN');
    }
  });

  it('accepts the admin key in Authorization: Bearer and in X-API-Key', async () => {
    for (const headers of [{ authorization: `Bearer ${ADMIN_KEY}` }, { 'x-api-key': ADMIN_KEY }] as Record<string, string>[]) {
      expect(await codeOf(ctx.server.graphqlUrl, OPERATIONS[1]![1], headers)).toBeUndefined();
    }
  });

  it('the admin key is not a user key: @auth fields answer UNAUTHENTICATED', async () => {
    expect(await codeOf(ctx.server.graphqlUrl, '{ me { id } }', { authorization: `Bearer ${ADMIN_KEY}` })).toBe('UNAUTHENTICATED');
    await expect(createClient({ url: ctx.server.graphqlUrl, apiKey: ADMIN_KEY }).raw('{ usage { tier } }')).resolves.toMatchObject({
      errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })],
    });
  });
});

describe('without ADMIN_API_KEY', () => {
  const noAdmin = useTestServer();

  it('admin is off: every admin operation is FORBIDDEN, whatever key is sent', async () => {
    for (const [name, query] of OPERATIONS) {
      expect(await codeOf(noAdmin.server.graphqlUrl, query, { authorization: `Bearer ${ADMIN_KEY}` }), name).toBe('FORBIDDEN');
      expect(await codeOf(noAdmin.server.graphqlUrl, query, { authorization: 'Bearer ' }), name).toBe('FORBIDDEN');
    }
  });
});

describe('self-hosted mode', () => {
  const selfHosted = useTestServer({ env: { STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: `sk-stellar-${'b'.repeat(32)}`, ADMIN_API_KEY: ADMIN_KEY } });

  it('the admin operations answer FORBIDDEN "billing is disabled"', async () => {
    const response = await fetch(selfHosted.server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query: OPERATIONS[1]![1] }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]).toMatchObject({ message: 'billing is disabled', extensions: { code: 'FORBIDDEN' } });
  });
});
