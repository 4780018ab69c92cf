import type { BillingEventType, NormalizedWebhook, WebhookRequest } from './types.js';
import { SubscriptionStatus } from '../entities/enums.js';
import { WebhookRejected } from './types.js';

/** Small helpers the providers' webhook verification shares. */

/** A header's single value ('' or undefined when absent; the first of repeated ones). */
export function headerValue(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/** The body as JSON, or 400: a verified body that is not JSON is still refused. */
export function parseJsonBody(rawBody: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(rawBody.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // refused below
  }
  throw new WebhookRejected(400, 'the body is not a JSON object');
}

export const ignored = (reason: string): NormalizedWebhook => ({ kind: 'ignored', reason });

/** The normalized type of a subscription event that carries a whole new state. */
export function typeForStatus(status: SubscriptionStatus | undefined, cancelAtPeriodEnd: boolean | undefined, fallback: BillingEventType): BillingEventType {
  if (status === SubscriptionStatus.EXPIRED) return 'SUBSCRIPTION_EXPIRED';
  if (status === SubscriptionStatus.CANCELED || (status === SubscriptionStatus.ACTIVE && cancelAtPeriodEnd)) return 'SUBSCRIPTION_CANCELED';
  return fallback;
}
