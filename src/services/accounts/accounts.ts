import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../../entities/enums.js';
import { User } from '../../entities/User.js';
import { badInput, emailTaken, notFound } from '../../errors.js';
import { ensureDefaultAgent } from '../memories/agents.js';
import { issueApiKey, type CreatedApiKey } from './api-keys.js';
import { setQuotaUsed } from '../limits/quota.js';

/** Accounts (docs/api.md): registration and lookups. Every account has its `default` agent from the start (docs/memories.md). */

// Pragmatic address check: one @, a dotted domain, no spaces; the mail itself proves the rest.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function normalizeEmail(raw: string, field = 'email'): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput(field, 'A valid email address is required');
  return email;
}

export interface NewAccount {
  user: User;
  apiKey: CreatedApiKey;
}

/**
 * Creates a FREE account with its first key, or returns null when the email is taken. The insert
 * is conditional, so two concurrent sign-ups for one email create one account. `id` lets a caller
 * choose the id beforehand (checkout hands it to the payment provider before the account exists).
 */
export async function createAccount(em: EntityManager, email: string, id?: string): Promise<NewAccount | null> {
  return em.transactional(async (tx) => {
    const user = new User();
    if (id) user.id = id;
    user.email = email;
    const inserted = await tx.execute<{ id: string }[]>(
      `insert into users (id, email, created_at) values (?, ?, ?) on conflict (email) do nothing returning id`,
      [user.id, email, user.createdAt],
    );
    if (inserted.length === 0) return null;
    const managed = tx.merge(user);
    const apiKey = await issueApiKey(tx, user.id, 'default');
    await setQuotaUsed(tx, user.id, QuotaResource.API_KEYS, 1);
    await ensureDefaultAgent(tx, user.id);
    return { user: managed, apiKey };
  });
}

export async function registerUser(em: EntityManager, rawEmail: string): Promise<NewAccount> {
  const account = await createAccount(em, normalizeEmail(rawEmail));
  if (!account) throw emailTaken();
  return account;
}

export async function findUserByEmail(em: EntityManager, email: string): Promise<User | null> {
  return em.findOne(User, { email });
}

export async function getUser(em: EntityManager, userId: string): Promise<User> {
  const user = await em.findOne(User, { id: userId });
  if (!user) throw notFound('User');
  return user;
}

/** The built-in owner of self-hosted mode (STELLAR_BILLING_ENABLED=false): created once, found after. */
export const OWNER_EMAIL = 'owner@self-hosted.invalid';

export async function ensureOwner(em: EntityManager): Promise<User> {
  return em.transactional(async (tx) => {
    await tx.execute(`insert into users (id, email) values (gen_random_uuid(), ?) on conflict (email) do nothing`, [OWNER_EMAIL]);
    const owner = (await tx.findOne(User, { email: OWNER_EMAIL }))!;
    await ensureDefaultAgent(tx, owner.id);
    return owner;
  });
}
