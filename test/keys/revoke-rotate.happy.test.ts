import { describe, expect, it } from 'vitest';
import { ApiKeysDocument, MeDocument, RevokeApiKeyDocument, RotateApiKeyDocument, UnauthenticatedError } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('revokeApiKey and rotateApiKey', () => {
  it('a revoked key stops working at once', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(MeDocument); // cached as valid first
    const { revokeApiKey } = await user.client.request(RevokeApiKeyDocument, { id: user.keyId });
    expect(revokeApiKey.revokedAt).not.toBeNull();
    await expect(user.client.request(MeDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('rotation issues a new secret under the same name and retires the old one', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(MeDocument);
    const { rotateApiKey } = await user.client.request(RotateApiKeyDocument, { id: user.keyId });
    expect(rotateApiKey.apiKey.name).toBe('default');
    expect(rotateApiKey.secret).not.toBe(user.secret);
    await expect(user.client.request(MeDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
    const rotated = ctx.server.client(rotateApiKey.secret);
    expect((await rotated.request(MeDocument)).me.id).toBe(user.id);
    const { apiKeys } = await rotated.request(ApiKeysDocument);
    // Oldest first: the retired key, then its replacement.
    expect(apiKeys.map((k) => ({ name: k.name, id: k.id, revoked: k.revokedAt !== null }))).toEqual([
      { name: 'default', id: user.keyId, revoked: true },
      { name: 'default', id: rotateApiKey.apiKey.id, revoked: false },
    ]);
  });
});
