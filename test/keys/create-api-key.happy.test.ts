import { describe, expect, it } from 'vitest';
import { ApiKeysDocument, CreateApiKeyDocument, MeDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { grantTier, registerUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('createApiKey', () => {
  it('issues working keys up to the plan cap and lists them without secrets', async () => {
    const user = await registerUser(ctx.server);
    await grantTier(ctx.server, user.id, Tier.PRO);
    const created = [];
    for (const name of ['ci', 'staging', 'prod', 'laptop']) {
      const { createApiKey } = await user.client.request(CreateApiKeyDocument, { input: { name: `  ${name} ` } });
      expect(createApiKey.apiKey.name).toBe(name);
      expect(createApiKey.secret).toMatch(/^sk-stellar-[0-9a-f]{32}$/);
      created.push(createApiKey);
    }
    for (const key of created) {
      const { me } = await ctx.server.client(key.secret).request(MeDocument);
      expect(me.id).toBe(user.id);
    }
    const { apiKeys } = await user.client.request(ApiKeysDocument);
    expect(apiKeys.map((k) => k.name)).toEqual(['default', 'ci', 'staging', 'prod', 'laptop']);
    expect(JSON.stringify(apiKeys)).not.toContain(created[0]!.secret);
  });
});
