import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, Tier } from '../../entities/enums.js';
import { internalError, notFound } from '../../errors.js';
import type { BillingDeps } from './deps.js';
import { assertUuid } from '../accounts/api-keys.js';
import { PLANS, priceFor } from '../../plans.js';
import { addMonths } from './toss-billing.js';

/** The demo provider's checkout (never in production): a local page pays for one month, without money. */

export interface DemoCheckoutView {
  id: string;
  tier: Tier;
  planName: string;
  amount: number;
  currency: string;
  email: string;
  cancelUrl: string;
}

/** An open demo checkout, for its page; null when unknown, used or expired. */
export async function findOpenDemoCheckout(em: EntityManager, checkoutId: string): Promise<DemoCheckoutView | null> {
  try {
    assertUuid(checkoutId, 'Checkout');
  } catch {
    return null;
  }
  const [row] = await em.execute<{ id: string; tier: Tier; email: string; cancel_url: string }[]>(
    `select c.id, c.tier, c.cancel_url, u.email from checkouts c join users u on u.id = c.user_id
     where c.id = ? and c.provider = ? and c.status = 'OPEN' and c.expires_at > now()`,
    [checkoutId, Provider.DEMO],
  );
  if (!row) return null;
  const price = priceFor(row.tier, Provider.DEMO)!;
  return { id: row.id, tier: row.tier, planName: PLANS[row.tier].name, amount: price.amount, currency: price.currency, email: row.email, cancelUrl: row.cancel_url };
}

/** Posts a signed webhook to this server's own webhook route and returns the HTTP status it answered. */
export type WebhookDelivery = (path: string, body: string, headers: Record<string, string>) => Promise<number>;

/**
 * Pays an open demo checkout: the demo provider signs a `checkout.completed` event for one month of
 * the checkout's tier and it is delivered to `/webhooks/demo`, the same ingest path (verification,
 * ledger, state machine, audit) as a real provider's event. Returns where to send the buyer;
 * NOT_FOUND when the checkout is unknown, used or expired.
 */
export async function payDemoCheckout(deps: Pick<BillingDeps, 'providers'>, em: EntityManager, checkoutId: string, deliver: WebhookDelivery): Promise<{ successUrl: string }> {
  assertUuid(checkoutId, 'Checkout');
  const [checkout] = await em.execute<{ id: string; user_id: string; tier: Tier; success_url: string }[]>(
    `select id, user_id, tier, success_url from checkouts where id = ? and provider = ? and status = 'OPEN' and expires_at > now()`,
    [checkoutId, Provider.DEMO],
  );
  if (!checkout) throw notFound('Checkout');
  const price = priceFor(checkout.tier, Provider.DEMO)!;
  const { body, headers } = deps.providers.demo().signedPaymentEvent({
    checkoutId: checkout.id,
    userId: checkout.user_id,
    tier: checkout.tier,
    amount: price.amount,
    currency: price.currency,
    currentPeriodEnd: addMonths(new Date(), 1),
  });
  const status = await deliver('/webhooks/demo', body, headers);
  if (status !== 200) throw internalError(`the demo webhook was answered with ${status}`);
  return { successUrl: checkout.success_url };
}
