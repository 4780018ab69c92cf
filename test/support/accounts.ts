import { randomBytes } from 'node:crypto';
import { beforeAll } from 'vitest';
import { Tier } from '../../src/entities/enums.js';
import { RegisterDocument, type StellarClient } from '../../sdk/index.js';
import type { TestServer } from './server.js';

export const uniqueEmail = (label = 'user') => `${label}-${randomBytes(5).toString('hex')}@example.com`;

export interface TestUser {
  id: string;
  email: string;
  secret: string;
  keyId: string;
  client: StellarClient;
}

/** Registers a new FREE account through the API and returns a client holding its key. */
export async function registerUser(server: Pick<TestServer, 'client'>, email = uniqueEmail()): Promise<TestUser> {
  const { register } = await server.client().request(RegisterDocument, { input: { email } });
  return {
    id: register.user.id,
    email: register.user.email,
    secret: register.apiKey.secret,
    keyId: register.apiKey.apiKey.id,
    client: server.client(register.apiKey.secret),
  };
}

/**
 * Gives a user a plan the way an operator does (a manual grant row) and announces the change so
 * every instance drops its cached tier.
 */
export async function grantTier(server: Pick<TestServer, 'sql' | 'rt'>, userId: string, tier: Tier, expiresAt: Date | null = null): Promise<void> {
  await server.sql(`insert into grants (id, user_id, tier, expires_at, reason) values (gen_random_uuid(), ?, ?, ?, 'test')`, [userId, tier, expiresAt]);
  await server.rt.entitlements.changed(userId);
}

/** A new account on `tier` (through a grant), for tests that need more than FREE allows. */
export async function registerUserWithTier(server: Pick<TestServer, 'client' | 'sql' | 'rt'>, tier: Tier): Promise<TestUser> {
  const user = await registerUser(server);
  await grantTier(server, user.id, tier);
  return user;
}

/**
 * A user registered in beforeAll on `ctx.server` (useTestServer's), on `tier` when given, for the
 * file or the describe block this is called in. The object is filled in then: read it inside tests.
 */
export function useUser(ctx: { server: TestServer }, tier?: Tier): TestUser {
  const user = {} as TestUser;
  beforeAll(async () => {
    Object.assign(user, tier === undefined ? await registerUser(ctx.server) : await registerUserWithTier(ctx.server, tier));
  });
  return user;
}
