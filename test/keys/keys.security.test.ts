import { describe, expect, it } from 'vitest';
import { createClient, MeDocument, NotFoundError, RevokeApiKeyDocument, RotateApiKeyDocument, UnauthenticatedError } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ADMIN_KEY = 'admin-key-for-tests-0123456789';
const ctx = useTestServer({ env: { ADMIN_API_KEY: ADMIN_KEY } });

const meWith = (headers: Record<string, string>) => createClient({ url: ctx.server.graphqlUrl, headers }).request(MeDocument);

describe('authentication', () => {
  it.each([
    ['no header', {}],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a Basic header', { authorization: 'Basic c2stc3RlbGxhcjo=' }],
    ['a malformed key', { authorization: 'Bearer sk-stellar-123' }],
    ['an uppercase key', { authorization: 'Bearer sk-stellar-' + 'A'.repeat(32) }],
    ['an unknown well-formed key', { authorization: 'Bearer sk-stellar-' + '0'.repeat(32) }],
    ['an unknown X-API-Key', { 'x-api-key': 'sk-stellar-' + 'f'.repeat(32) }],
    ['the admin key', { authorization: `Bearer ${ADMIN_KEY}` }],
  ])('refuses %s with UNAUTHENTICATED', async (_label, headers) => {
    await expect(meWith(headers)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});

describe('key isolation', () => {
  it("a user cannot revoke or rotate another user's key: NOT_FOUND, and the key keeps working", async () => {
    const alice = await registerUser(ctx.server);
    const mallory = await registerUser(ctx.server);
    await expect(mallory.client.request(RevokeApiKeyDocument, { id: alice.keyId })).rejects.toBeInstanceOf(NotFoundError);
    await expect(mallory.client.request(RotateApiKeyDocument, { id: alice.keyId })).rejects.toBeInstanceOf(NotFoundError);
    expect((await alice.client.request(MeDocument)).me.id).toBe(alice.id);
  });

  it('answers an id that is not a UUID like a missing one', async () => {
    const user = await registerUser(ctx.server);
    await expect(user.client.request(RevokeApiKeyDocument, { id: "1' or '1'='1" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(user.client.request(RevokeApiKeyDocument, { id: '00000000-0000-0000-0000-000000000000' })).rejects.toBeInstanceOf(NotFoundError);
  });
});
