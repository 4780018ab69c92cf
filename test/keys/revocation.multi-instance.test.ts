import { afterAll, describe, expect, it } from 'vitest';
import { createClient, MeDocument, RevokeApiKeyDocument, UnauthenticatedError } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { REDIS_SKIP_REASON, redisAvailable } from '../support/server.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';

const started: SpawnedServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function twoInstances(redis: boolean) {
  const [a, b] = await Promise.all([spawnServer({ redis }), spawnServer({ redis })]);
  started.push(a!, b!);
  return [a!, b!] as const;
}

async function revokedOnOtherInstanceWithin(redis: boolean): Promise<number> {
  const [a, b] = await twoInstances(redis);
  const user = await registerUser({ client: (key) => createClient({ url: a.graphqlUrl, apiKey: key }) });
  const onB = createClient({ url: b.graphqlUrl, apiKey: user.secret });
  expect((await onB.request(MeDocument)).me.id).toBe(user.id); // B has the key cached as valid

  await user.client.request(RevokeApiKeyDocument, { id: user.keyId });
  const revokedAt = Date.now();
  for (;;) {
    const refused = await onB.request(MeDocument).then(() => false, (e: unknown) => e instanceof UnauthenticatedError);
    if (refused) return Date.now() - revokedAt;
    if (Date.now() - revokedAt > 5_000) throw new Error('instance B still accepts the revoked key after 5 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!sharedDatabaseAvailable())(`key revocation across instances (${SHARED_DATABASE_SKIP_REASON})`, () => {
  it('a key revoked through one instance is refused by the other within 1 second (PostgreSQL NOTIFY)', async () => {
    expect(await revokedOnOtherInstanceWithin(false)).toBeLessThan(1_000);
  });

  it.skipIf(!redisAvailable())(`the same through Redis pub/sub (${REDIS_SKIP_REASON})`, async () => {
    expect(await revokedOnOtherInstanceWithin(true)).toBeLessThan(1_000);
  });
});
