import type { Logger } from 'pino';
import type { LemonConfig } from '../config.js';
import { Provider, SubscriptionStatus, Tier } from '../entities/enums.js';
import { providerError } from '../errors.js';
import { ProviderHttp, asDate, asString, pick } from './http.js';
import type { CheckoutRequest, CheckoutResult, PaymentProvider, RemoteSubscriptionState, SubscriptionRef, TierByPrice } from './types.js';

/** Lemon Squeezy over its JSON:API (a small fetch client: the official SDK cannot change its base URL). */

export const LEMON_API_URL = 'https://api.lemonsqueezy.com';
const JSON_API = 'application/vnd.api+json';

export function lemonStatus(status: string): SubscriptionStatus {
  switch (status) {
    case 'active':
    case 'on_trial':
      return SubscriptionStatus.ACTIVE;
    case 'cancelled':
      return SubscriptionStatus.CANCELED;
    case 'past_due':
    case 'unpaid':
      return SubscriptionStatus.PAST_DUE;
    // paused, expired: not entitled.
    default:
      return SubscriptionStatus.EXPIRED;
  }
}

/** Our view of a `subscriptions` resource; `userId` comes from a webhook's meta.custom_data. */
export function normalizeLemonSubscription(resource: unknown, tiers: TierByPrice, userId: string | null = null): RemoteSubscriptionState {
  const attributes = pick(resource, 'attributes');
  const status = lemonStatus(String(pick(attributes, 'status')));
  const endsAt = asDate(pick(attributes, 'ends_at'));
  const renewsAt = asDate(pick(attributes, 'renews_at'));
  const variant = asString(pick(attributes, 'variant_id'));
  const id = asString(pick(resource, 'id'));
  const updatedAt = asDate(pick(attributes, 'updated_at'));
  if (!id || !updatedAt) throw new Error('Lemon Squeezy subscription without id or updated_at');
  return {
    providerSubscriptionId: id,
    providerCustomerId: asString(pick(attributes, 'customer_id')),
    userId,
    status,
    tier: variant ? (tiers.get(variant) ?? null) : null,
    currentPeriodEnd: status === SubscriptionStatus.CANCELED || status === SubscriptionStatus.EXPIRED ? (endsAt ?? renewsAt) : (renewsAt ?? endsAt),
    cancelAtPeriodEnd: pick(attributes, 'cancelled') === true || status === SubscriptionStatus.CANCELED,
    stateAt: updatedAt,
  };
}

export class LemonSqueezyProvider implements PaymentProvider {
  readonly id = Provider.LEMON_SQUEEZY;
  readonly tiers: TierByPrice;
  private readonly http: ProviderHttp;
  private readonly variantOf: Record<Tier.PRO | Tier.TEAM, string>;

  constructor(readonly config: LemonConfig, options: { timeoutMs: number; logger: Logger }) {
    this.http = new ProviderHttp({
      provider: this.id,
      baseUrl: config.apiUrl ?? LEMON_API_URL,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      headers: { accept: JSON_API, 'content-type': JSON_API, authorization: `Bearer ${config.apiKey}` },
    });
    this.variantOf = { [Tier.PRO]: config.variantPro, [Tier.TEAM]: config.variantTeam };
    this.tiers = new Map([
      [config.variantPro, Tier.PRO],
      [config.variantTeam, Tier.TEAM],
    ]);
  }

  async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    const body = await this.http.expectOk('POST', '/v1/checkouts', {
      data: {
        type: 'checkouts',
        attributes: {
          checkout_data: { email: request.email, custom: { user_id: request.userId } },
          product_options: { redirect_url: request.successUrl },
        },
        relationships: {
          store: { data: { type: 'stores', id: this.config.storeId } },
          variant: { data: { type: 'variants', id: this.variantOf[request.tier as Tier.PRO | Tier.TEAM] } },
        },
      },
    });
    const id = asString(pick(body, 'data', 'id'));
    const url = asString(pick(body, 'data', 'attributes', 'url'));
    if (!id || !url) throw providerError(this.id);
    return { sessionId: id, url, toss: null, reference: id };
  }

  private async getSubscription(id: string): Promise<unknown> {
    return pick(await this.http.expectOk('GET', `/v1/subscriptions/${encodeURIComponent(id)}`), 'data');
  }

  async cancelAtPeriodEnd(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    const body = await this.http.expectOk('DELETE', `/v1/subscriptions/${encodeURIComponent(ref.providerSubscriptionId)}`);
    return normalizeLemonSubscription(pick(body, 'data'), this.tiers);
  }

  /** The signed portal URL expires, so it is fetched fresh every time. */
  async portalUrl(ref: SubscriptionRef): Promise<string> {
    const url = asString(pick(await this.getSubscription(ref.providerSubscriptionId), 'attributes', 'urls', 'customer_portal'));
    if (!url) throw providerError(this.id);
    return url;
  }

  async fetchSubscription(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    return normalizeLemonSubscription(await this.getSubscription(ref.providerSubscriptionId), this.tiers);
  }
}
