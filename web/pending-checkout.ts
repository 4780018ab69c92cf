/**
 * What the landing page hands to the billing pages across the provider's redirect. It lives in
 * sessionStorage (this tab only, gone when the tab closes) and never in a URL: an API key in a URL
 * ends up in history, proxy logs and Referer headers (docs/development.md).
 */

import type { Provider, Tier } from '../sdk/generated/graphql.js';

export interface PendingCheckout {
  tier: Tier;
  provider: Provider;
  /** The key the billing pages use to watch the account's tier: the new one, or the buyer's own. */
  apiKey: string | null;
  /** True when checkout created the account: the key is shown once, on the next billing page. */
  newAccount: boolean;
}

const STORAGE_KEY = 'stellar.pendingCheckout';

export function rememberCheckout(pending: PendingCheckout): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(pending));
}

/** Reads it without forgetting it: the Toss return page passes it on to /billing/success. */
export function peekPendingCheckout(): PendingCheckout | null {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  try {
    return raw ? (JSON.parse(raw) as PendingCheckout) : null;
  } catch {
    return null;
  }
}

/** Reads the pending checkout and forgets it, so a reload or a later visitor of this tab sees no key. */
export function takePendingCheckout(): PendingCheckout | null {
  const pending = peekPendingCheckout();
  sessionStorage.removeItem(STORAGE_KEY);
  return pending;
}
