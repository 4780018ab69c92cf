/**
 * The billing pages' script (served by src/http/billing-result-pages.ts): one bundle, the page is
 * named by <body data-page>. The key a checkout created comes from sessionStorage (never the URL)
 * and is shown once; the tier is watched through `me` until the provider's webhook has landed.
 */

import { BillingPortalDocument, CancelSubscriptionDocument, ConfirmTossBillingDocument, MeDocument, type MeQuery, type Tier } from '../sdk/generated/graphql.js';
import { api, byId, messageOf, StellarError } from './api.js';
import { revealApiKey } from './key-reveal.js';
import { peekPendingCheckout, takePendingCheckout, type PendingCheckout } from './pending-checkout.js';
import { tossFailMessage } from './toss-fail.js';

const TIER_RANK: Record<Tier, number> = { FREE: 0, PRO: 1, TEAM: 2 };
const TIER_NAMES: Record<Tier, string> = { FREE: 'Free', PRO: 'Pro', TEAM: 'Team' };
const POLL_MS = 1500;
const WATCH_FOR_MS = 10 * 60_000;

/** When a checkout that created the account did not go through: the key is still the buyer's. */
const CREATED_ANYWAY = 'A free account was created for you anyway. Your API key:';

const formatDate = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric' }) : '—');

function showCreatedKey(pending: PendingCheckout | null, lead: string): void {
  if (pending?.newAccount && pending.apiKey) revealApiKey(byId('created-key'), pending.apiKey, lead);
}

/** Polls `me` with the buyer's key and shows the tier until it reaches the one bought. */
function watchTier(apiKey: string, bought: Tier): void {
  const client = api.withApiKey(apiKey);
  const tierBox = byId('tier-status');
  const tierText = byId('current-tier');
  const note = byId('tier-note');
  const until = Date.now() + WATCH_FOR_MS;
  tierBox.hidden = false;
  note.textContent = 'Waiting for the payment provider to confirm…';

  const poll = async (): Promise<void> => {
    try {
      const { me } = await client.request(MeDocument);
      tierText.textContent = me.tier;
      tierText.dataset.tier = me.tier;
      if (TIER_RANK[me.tier] >= TIER_RANK[bought]) {
        note.textContent = `Your ${TIER_NAMES[me.tier]} plan is active${me.subscription?.currentPeriodEnd ? ` until ${formatDate(me.subscription.currentPeriodEnd)}, renewing monthly` : ''}.`;
        return;
      }
    } catch (error) {
      if (error instanceof StellarError && error.code === 'UNAUTHENTICATED') {
        note.textContent = 'This key no longer works, so the plan cannot be shown here.';
        return;
      }
      // A network hiccup: keep trying.
    }
    if (Date.now() > until) {
      note.textContent = 'The confirmation is taking longer than usual. Your plan switches on by itself once it arrives; check it any time on the Manage page.';
      return;
    }
    setTimeout(() => void poll(), POLL_MS);
  };
  void poll();
}

function successPage(): void {
  const pending = takePendingCheckout();
  showCreatedKey(pending, 'Your account was created. Your API key:');
  if (pending?.apiKey) watchTier(pending.apiKey, pending.tier);
}

/** The cancel and fail pages: a checkout that created the account still hands over its key. */
function showKeyAnyway(): void {
  showCreatedKey(takePendingCheckout(), CREATED_ANYWAY);
}

/** Only the code is read from the URL, and only to choose one of our own sentences (web/toss-fail.ts). */
function tossFailPage(): void {
  const box = byId('toss-message');
  box.textContent = tossFailMessage(new URLSearchParams(location.search).get('code'));
  box.hidden = false;
  showKeyAnyway();
}

/** Toss returns here with customerKey and authKey; the server issues the billing key and charges the first month. */
async function tossSuccessPage(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const status = byId('toss-status');
  try {
    await api.request(ConfirmTossBillingDocument, { input: { customerKey: query.get('customerKey') ?? '', authKey: query.get('authKey') ?? '' } });
    // The pending checkout stays in sessionStorage for /billing/success, which shows the key and the tier.
    if (peekPendingCheckout()) location.replace('/billing/success');
    else {
      status.textContent = 'Your card is confirmed and your plan is active. You can check it on the Manage page.';
      byId('toss-actions').hidden = false;
    }
  } catch (error) {
    status.textContent = 'Your payment was not completed.';
    const box = byId('toss-error');
    box.textContent = messageOf(error);
    box.hidden = false;
    byId('toss-actions').hidden = false;
    showKeyAnyway();
  }
}

function managePage(): void {
  const form = byId<HTMLFormElement>('manage-form');
  const keyInput = byId<HTMLInputElement>('manage-key');
  const errorBox = byId('manage-error');
  const result = byId('manage-result');
  const note = byId('manage-note');
  const portal = byId<HTMLButtonElement>('manage-portal');
  const cancel = byId<HTMLButtonElement>('manage-cancel');
  let client = api;

  const showError = (error: unknown) => {
    errorBox.textContent = messageOf(error);
    errorBox.hidden = false;
  };

  const render = ({ me }: MeQuery) => {
    const sub = me.subscription;
    byId('manage-tier').textContent = `${TIER_NAMES[me.tier]} (${me.email})`;
    byId('manage-status').textContent = sub ? `${TIER_NAMES[sub.tier]} via ${sub.provider.replace('_', ' ').toLowerCase()}: ${sub.status.toLowerCase().replace('_', ' ')}${sub.cancelAtPeriodEnd ? ', ends at period end' : ''}` : 'None';
    byId('manage-period').textContent = formatDate(sub?.currentPeriodEnd ?? null);
    // The portal of Toss and Demo is this page; Stripe and Lemon Squeezy have their own.
    portal.hidden = !sub || (sub.provider !== 'STRIPE' && sub.provider !== 'LEMON_SQUEEZY');
    cancel.hidden = !sub || sub.cancelAtPeriodEnd || (sub.status !== 'ACTIVE' && sub.status !== 'PAST_DUE');
    result.hidden = false;
  };

  const load = async () => render(await client.request(MeDocument));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    note.textContent = '';
    client = api.withApiKey(keyInput.value.trim());
    load().catch((error: unknown) => {
      result.hidden = true;
      showError(error);
    });
  });
  portal.addEventListener('click', async () => {
    try {
      const { billingPortal } = await client.request(BillingPortalDocument);
      const url = new URL(billingPortal.url);
      if (url.protocol === 'https:' || url.protocol === 'http:') location.assign(url.href);
    } catch (error) {
      showError(error);
    }
  });
  cancel.addEventListener('click', async () => {
    if (!confirm('Stop renewing? You keep the plan until the end of the paid period.')) return;
    try {
      const { cancelSubscription } = await client.request(CancelSubscriptionDocument);
      await load();
      note.textContent = `Renewal stopped. You keep ${TIER_NAMES[cancelSubscription.tier]} until ${formatDate(cancelSubscription.currentPeriodEnd)}.`;
    } catch (error) {
      showError(error);
    }
  });
}

switch (document.body.dataset.page) {
  case 'success':
    successPage();
    break;
  case 'cancel':
    showKeyAnyway();
    break;
  case 'toss-success':
    void tossSuccessPage();
    break;
  case 'toss-fail':
    tossFailPage();
    break;
  case 'manage':
    managePage();
    break;
}
