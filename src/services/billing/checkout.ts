import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import { Provider, Tier } from '../../entities/enums.js';
import { badInput } from '../../errors.js';
import type { ProviderRegistry } from '../../providers/index.js';
import type { CheckoutResult, TossCheckoutPayload } from '../../providers/types.js';
import { createAccount, findUserByEmail, getUser, normalizeEmail } from '../accounts/accounts.js';
import type { CreatedApiKey } from '../accounts/api-keys.js';
import { PLANS, priceFor } from '../../plans.js';

/**
 * `checkout` (docs/billing.md): for the caller, or for an email (a new one gets a FREE account and its
 * first key, shown once; an existing one gets no key). The provider is asked first; only once it
 * accepted is anything written (the account, the checkout row), in one transaction, so a provider
 * failure or timeout leaves nothing behind: no account whose key nobody saw, no checkout to complete.
 */

export interface CheckoutInput {
  tier: Tier;
  provider: Provider;
  email?: string | null;
  successUrl?: string | null;
  cancelUrl?: string | null;
}

export interface CheckoutSession {
  provider: Provider;
  sessionId: string;
  url: string | null;
  toss: TossCheckoutPayload | null;
  apiKey: CreatedApiKey | null;
}

/** How long a started checkout can be completed (Stripe's own sessions live 24 hours). */
export const CHECKOUT_TTL_MS = 24 * 3600 * 1000;

/**
 * A redirect target on PUBLIC_URL or one of CORS_ORIGINS (same scheme, host and port), or
 * BAD_USER_INPUT on `field`: checkout never redirects a buyer to someone else's site.
 */
export function allowedRedirect(config: Pick<Config, 'publicUrl' | 'corsOrigins'>, field: string, raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const allowed = new Set([new URL(config.publicUrl).origin, ...config.corsOrigins]);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badInput(field, `${field} must be an absolute URL`);
  }
  if (raw.length > 2048 || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || !allowed.has(url.origin)) {
    throw badInput(field, `${field} must be on ${[...allowed].join(' or ')}`);
  }
  return url.toString();
}

function defaultUrls(publicUrl: string, provider: Provider) {
  // Toss returns to pages that finish the billing authorization (they call confirmTossBilling).
  return provider === Provider.TOSS
    ? { success: `${publicUrl}/billing/toss/success`, cancel: `${publicUrl}/billing/toss/fail` }
    : { success: `${publicUrl}/billing/success`, cancel: `${publicUrl}/billing/cancel` };
}

interface Buyer {
  userId: string;
  email: string;
  /** The account does not exist yet: it is created once the provider accepted the checkout. */
  isNew: boolean;
}

/** A live subscription that renews: another one would charge the customer twice. */
export async function hasRenewingSubscription(em: EntityManager, userId: string): Promise<boolean> {
  const rows = await em.execute(
    `select 1 from subscriptions where user_id = ? and status in ('ACTIVE', 'PAST_DUE') and not cancel_at_period_end limit 1`,
    [userId],
  );
  return rows.length > 0;
}

export const ALREADY_RENEWING = 'This account already has a subscription that renews; change or cancel it through billingPortal';

async function assertNoRenewingSubscription(em: EntityManager, userId: string): Promise<void> {
  if (await hasRenewingSubscription(em, userId)) throw badInput('tier', ALREADY_RENEWING);
}

async function stripeCustomerOf(em: EntityManager, userId: string): Promise<string | null> {
  const [row] = await em.execute<{ provider_customer_id: string }[]>(
    `select provider_customer_id from subscriptions where user_id = ? and provider = ? and provider_customer_id is not null
     order by created_at desc limit 1`,
    [userId, Provider.STRIPE],
  );
  return row?.provider_customer_id ?? null;
}

class EmailTakenMeanwhile extends Error {}

export async function createCheckout(
  deps: { config: Config; providers: ProviderRegistry },
  em: EntityManager,
  callerUserId: string | null,
  input: CheckoutInput,
): Promise<CheckoutSession> {
  const provider = await deps.providers.get(input.provider);
  if (input.tier === Tier.FREE) throw badInput('tier', 'FREE needs no checkout; choose PRO or TEAM');
  const price = priceFor(input.tier, input.provider)!;
  const defaults = defaultUrls(deps.config.publicUrl, input.provider);
  const successUrl = allowedRedirect(deps.config, 'successUrl', input.successUrl) ?? defaults.success;
  const cancelUrl = allowedRedirect(deps.config, 'cancelUrl', input.cancelUrl) ?? defaults.cancel;

  const attempt = async (): Promise<CheckoutSession> => {
    let buyer: Buyer;
    if (callerUserId) {
      // With a valid key the email is ignored.
      const user = await getUser(em, callerUserId);
      buyer = { userId: user.id, email: user.email, isNew: false };
    } else {
      if (!input.email) throw badInput('email', 'An email (or an API key) is required to check out');
      const email = normalizeEmail(input.email);
      const existing = await findUserByEmail(em, email);
      buyer = existing ? { userId: existing.id, email, isNew: false } : { userId: randomUUID(), email, isNew: true };
    }
    // Only a caller who proved the account is theirs learns that it already pays: an email alone
    // gets the same answer whatever the account's subscription (docs/security.md).
    if (callerUserId) await assertNoRenewingSubscription(em, buyer.userId);
    // The Stripe customer is reused only for a caller who proved the account is theirs.
    const customerId = callerUserId && input.provider === Provider.STRIPE ? await stripeCustomerOf(em, buyer.userId) : null;

    const checkoutId = randomUUID();
    const result: CheckoutResult = await provider.createCheckout({
      checkoutId,
      userId: buyer.userId,
      email: buyer.email,
      tier: input.tier,
      planName: PLANS[input.tier].name,
      amount: price.amount,
      currency: price.currency,
      successUrl,
      cancelUrl,
      customerId,
    });

    const apiKey = await em.transactional(async (tx) => {
      let created: CreatedApiKey | null = null;
      if (buyer.isNew) {
        const account = await createAccount(tx, buyer.email, buyer.userId);
        if (!account) throw new EmailTakenMeanwhile();
        created = account.apiKey;
      }
      await tx.execute(
        `insert into checkouts (id, user_id, provider, tier, reference, status, success_url, cancel_url, expires_at)
         values (?, ?, ?, ?, ?, 'OPEN', ?, ?, ?)`,
        [checkoutId, buyer.userId, input.provider, input.tier, result.reference, successUrl, cancelUrl, new Date(Date.now() + CHECKOUT_TTL_MS)],
      );
      return created;
    });
    return { provider: input.provider, sessionId: result.sessionId, url: result.url, toss: result.toss, apiKey };
  };

  try {
    return await attempt();
  } catch (err) {
    // Someone registered this email while the provider answered: check out for that account
    // instead (the provider's first checkout was never shown to anyone and expires unused).
    if (err instanceof EmailTakenMeanwhile) return attempt();
    throw err;
  }
}
