/**
 * TossPayments' browser SDK (v2 "standard"): loaded only when the buyer picks Toss, from the URL
 * the server puts in the page (TOSS_SDK_URL), then asked for a card authorization for automatic
 * billing. Toss sends the buyer to `successUrl?customerKey=…&authKey=…` (our /billing/toss/success,
 * which calls confirmTossBilling) or to `failUrl?code=…&message=…`.
 */

import type { CheckoutMutation } from '../sdk/generated/graphql.js';

type TossCheckout = NonNullable<CheckoutMutation['checkout']['toss']>;

interface TossPaymentsSdk {
  payment(options: { customerKey: string }): {
    requestBillingAuth(options: { method: 'CARD'; successUrl: string; failUrl: string; customerEmail?: string }): Promise<void>;
  };
}

declare global {
  interface Window {
    TossPayments?: (clientKey: string) => TossPaymentsSdk;
  }
}

function tossSdkUrl(): string {
  const url = document.querySelector<HTMLMetaElement>('meta[name="stellar-toss-sdk"]')?.content;
  if (!url) throw new Error('Toss Payments is not available on this page.');
  return url;
}

let loading: Promise<void> | null = null;

function loadTossSdk(): Promise<void> {
  if (window.TossPayments) return Promise.resolve();
  loading ??= new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = tossSdkUrl();
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => {
      loading = null;
      script.remove();
      reject(new Error('Could not load Toss Payments. Check your connection and try again.'));
    };
    document.head.append(script);
  });
  return loading;
}

export async function startTossBillingAuth(toss: TossCheckout, customerEmail?: string): Promise<void> {
  await loadTossSdk();
  if (!window.TossPayments) throw new Error('Toss Payments did not start. Please try again.');
  try {
    await window.TossPayments(toss.clientKey)
      .payment({ customerKey: toss.customerKey })
      .requestBillingAuth({ method: 'CARD', successUrl: toss.successUrl, failUrl: toss.failUrl, ...(customerEmail ? { customerEmail } : {}) });
  } catch (error) {
    // The SDK rejects when the buyer closes its window (code USER_CANCEL) or the request is invalid.
    if ((error as { code?: unknown } | null)?.code === 'USER_CANCEL') throw new Error('The Toss Payments window was closed. Nothing was charged.');
    const message = error instanceof Error && error.message ? error.message : 'The card authorization was not completed.';
    throw new Error(`Toss Payments: ${message}`);
  }
}
