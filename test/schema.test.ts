import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildGraphQLSchema, printSchemaFile } from '../src/graphql/schema/build.js';

describe('schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema:print` after changing the API)', async () => {
    const committed = await readFile(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaFile(await buildGraphQLSchema()));
  });

  it('prints the directives where the contract (docs/api.md) puts them', async () => {
    const sdl = printSchemaFile(await buildGraphQLSchema());
    expect(sdl).toContain('directive @tier(min: Tier!) on FIELD_DEFINITION');
    expect(sdl).toContain('directive @rateLimit(cost: Int! = 1) on FIELD_DEFINITION');
    expect(sdl).toContain('directive @quota(resource: QuotaResource!) on FIELD_DEFINITION');
    expect(sdl).toMatch(/createApiKey\(input: CreateApiKeyInput!\): CreatedApiKey! @auth @rateLimit @quota\(resource: API_KEYS\)/);
    // Account reads spend the per-minute budget like every other operation (docs/api.md).
    expect(sdl).toMatch(/\n\s+me: User! @auth @rateLimit\n/);
  });
});
