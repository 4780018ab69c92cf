import { Provider } from '../entities/enums.js';
import type { CheckoutRequest, CheckoutResult, PaymentProvider, RemoteSubscriptionState, SubscriptionRef } from './types.js';

/**
 * The demo provider (never in production): its checkout is a local page that completes the payment
 * without money. Like Toss it keeps no subscriptions of its own, so cancelling is ours to record.
 */
export class DemoProvider implements PaymentProvider {
  readonly id = Provider.DEMO;

  constructor(private readonly options: { publicUrl: string }) {}

  async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    return { sessionId: request.checkoutId, url: `${this.options.publicUrl}/billing/demo/${request.checkoutId}`, toss: null, reference: request.checkoutId };
  }

  async cancelAtPeriodEnd(): Promise<null> {
    return null;
  }

  async portalUrl(): Promise<string> {
    return `${this.options.publicUrl}/billing/manage`;
  }

  /** Nothing to compare with: the demo provider's state is ours. */
  async fetchSubscription(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    return { providerSubscriptionId: ref.providerSubscriptionId, stateAt: new Date() };
  }
}
