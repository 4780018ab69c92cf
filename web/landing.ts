/**
 * The landing page: plans read live from `plans`, and the checkout modal (docs/development.md). The provider
 * choice offers exactly the providers the server prices (a provider is priced only when it is on),
 * errors are the server's own messages, and the only navigation away is to the URL `checkout`
 * returned or through the Toss SDK.
 */

import { CheckoutDocument, PlansDocument, RegisterDocument, type CheckoutMutation, type Provider, type Tier } from '../sdk/generated/graphql.js';
import { api, byId, element, messageOf, StellarError } from './api.js';
import { setUpConnectTabs } from './connect.js';
import { configuredProviders, formatInterval, formatMoney, formatShortPrice, headlinePrices, limitLines, PROVIDER_LABELS, type Plan } from './format.js';
import { revealApiKey } from './key-reveal.js';
import { rememberCheckout, takePendingCheckout } from './pending-checkout.js';
import { startTossBillingAuth } from './toss.js';

const TAGLINES: Record<Tier, string> = {
  FREE: 'Try it with one agent',
  PRO: 'For agents in production',
  TEAM: 'For teams running many agents',
};

const plansContainer = byId('plans');
const dialog = byId<HTMLDialogElement>('checkout');
const form = byId<HTMLFormElement>('checkout-form');
const title = byId('checkout-title');
const summary = byId('checkout-summary');
const emailInput = byId<HTMLInputElement>('checkout-email');
const keyField = byId<HTMLDetailsElement>('checkout-key-field');
const keyInput = byId<HTMLInputElement>('checkout-api-key');
const providerFieldset = byId<HTMLFieldSetElement>('checkout-providers');
const providerList = byId('checkout-provider-list');
const errorBox = byId('checkout-error');
const createdKeyBox = byId('checkout-created-key');
const submitButton = byId<HTMLButtonElement>('checkout-submit');

/** What the open modal does: buy a paid tier, or register a FREE account. */
let mode: { kind: 'checkout'; plan: Plan } | { kind: 'register' } = { kind: 'register' };
let opener: HTMLElement | null = null;

function renderPlan(plan: Plan): HTMLElement {
  const card = element('article', `plan${plan.tier === 'PRO' ? ' plan--featured' : ''}`);
  card.dataset.testid = `plan-${plan.tier}`;
  card.setAttribute('aria-labelledby', `plan-${plan.tier}-name`);
  if (plan.tier === 'PRO') card.append(element('p', 'plan__badge', 'Most popular'));

  const name = element('h3', 'plan__name', plan.name);
  name.id = `plan-${plan.tier}-name`;
  card.append(name, element('p', 'plan__tagline', TAGLINES[plan.tier]));

  const { main, others } = headlinePrices(plan);
  const price = element('p', 'plan__price');
  price.append(element('span', 'plan__amount', main ? formatMoney(main.amount, main.currency) : formatMoney(0, 'USD')), element('span', 'plan__interval', main ? formatInterval(main.interval) : 'forever'));
  card.append(price);
  for (const other of others) card.append(element('p', 'plan__alt', `or ${formatMoney(other.amount, other.currency)} ${formatInterval(other.interval)} with ${PROVIDER_LABELS[other.provider].name}`));

  const limits = element('ul', 'plan__limits');
  for (const [label, value] of limitLines(plan.limits)) {
    const item = element('li');
    item.append(element('strong', undefined, value), ` ${label}`);
    limits.append(item);
  }
  card.append(limits);

  const button = element('button', `button button--block ${plan.tier === 'PRO' ? 'button--primary' : 'button--outline'}`);
  button.type = 'button';
  if (plan.tier === 'FREE') {
    button.textContent = 'Get a free API key';
    button.addEventListener('click', () => openModal({ kind: 'register' }, button));
  } else if (plan.prices.length === 0) {
    // No payment provider is on (self-hosted or not configured yet): nothing can be bought.
    button.textContent = 'Not available here';
    button.disabled = true;
  } else {
    button.textContent = `Subscribe to ${plan.name}`;
    button.dataset.testid = `subscribe-${plan.tier}`;
    button.addEventListener('click', () => openModal({ kind: 'checkout', plan }, button));
  }
  card.append(button);
  return card;
}

async function loadPlans(): Promise<void> {
  try {
    const { plans } = await api.request(PlansDocument);
    plansContainer.replaceChildren(...plans.map(renderPlan));
  } catch (error) {
    const status = element('p', 'plans__status', `Could not load the plans: ${messageOf(error)}`);
    const retry = element('button', 'button button--small', 'Try again');
    retry.type = 'button';
    retry.addEventListener('click', () => void loadPlans());
    status.append(' ', retry);
    plansContainer.replaceChildren(status);
  } finally {
    plansContainer.setAttribute('aria-busy', 'false');
  }
}

function renderProviders(plan: Plan): void {
  const providers = configuredProviders([plan]);
  providerList.replaceChildren(
    ...providers.map((provider, index) => {
      const price = plan.prices.find((p) => p.provider === provider)!;
      const label = element('label', 'provider');
      label.dataset.testid = `checkout-provider-${provider}`;
      const radio = element('input');
      radio.type = 'radio';
      radio.name = 'provider';
      radio.value = provider;
      radio.checked = index === 0;
      const text = element('span', 'provider__text');
      text.append(element('span', 'provider__name', PROVIDER_LABELS[provider].name), element('span', 'provider__detail', PROVIDER_LABELS[provider].detail));
      label.append(radio, text, element('span', 'provider__price', formatShortPrice(price)));
      return label;
    }),
  );
}

function openModal(next: typeof mode, from: HTMLElement): void {
  mode = next;
  opener = from;
  clearError();
  createdKeyBox.hidden = true;
  createdKeyBox.replaceChildren();
  const registering = mode.kind === 'register';
  dialog.dataset.mode = mode.kind;
  providerFieldset.hidden = registering;
  keyField.hidden = registering;
  if (mode.kind === 'checkout') {
    const { main } = headlinePrices(mode.plan);
    title.textContent = `Subscribe to ${mode.plan.name}`;
    summary.textContent = main ? `${mode.plan.name} plan, ${formatMoney(main.amount, main.currency)} ${formatInterval(main.interval)}. Choose how to pay.` : '';
    byId('checkout-email-hint').textContent = 'A new email gets a free account and its API key, shown once after payment.';
    renderProviders(mode.plan);
  } else {
    title.textContent = 'Get a free API key';
    summary.textContent = 'The Free plan: no card, no time limit.';
    byId('checkout-email-hint').textContent = 'Used for key recovery only. We never share it.';
  }
  setBusy(false, idleLabel());
  dialog.showModal();
  emailInput.focus();
}

function closeModal(): void {
  if (dialog.open) dialog.close();
}

function showError(message: string, field?: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
  errorBox.scrollIntoView({ block: 'nearest' });
  const input = field === 'email' ? emailInput : null;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-errormessage', 'checkout-error');
    input.focus();
  }
}

/** The server's message, on the field it names (extensions.field) when that is one of the form's. */
function showApiError(error: unknown): void {
  showError(messageOf(error), error instanceof StellarError ? (error.extensions.field as string | undefined) : undefined);
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
  emailInput.removeAttribute('aria-invalid');
}

/** The submit button's label while the modal waits for the buyer. */
const idleLabel = (): string => (mode.kind === 'checkout' ? 'Continue to payment' : 'Create my key');

function setBusy(busy: boolean, label?: string): void {
  submitButton.disabled = busy;
  form.setAttribute('aria-busy', String(busy));
  if (label) submitButton.textContent = label;
}

/** Leaves for the provider's page; anything but an http(s) URL (javascript:, data:) is refused. */
function redirectTo(url: string): void {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new Error('The payment provider returned an invalid address.');
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('The payment provider returned an address this page will not open.');
  window.location.assign(target.href);
}

async function submitCheckout(plan: Plan): Promise<void> {
  const provider = (form.elements.namedItem('provider') as RadioNodeList | null)?.value as Provider | undefined;
  if (!provider) return showError('Choose how to pay.');
  const apiKey = keyField.open && keyInput.value.trim() !== '' ? keyInput.value.trim() : null;
  const email = emailInput.value.trim();
  // Back to this origin's pages (on PUBLIC_URL or CORS_ORIGINS, or the server refuses them), so
  // the sessionStorage written below is there when the buyer returns.
  const [success, cancel] = provider === 'TOSS' ? ['/billing/toss/success', '/billing/toss/fail'] : ['/billing/success', '/billing/cancel'];
  const client = apiKey ? api.withApiKey(apiKey) : api;
  setBusy(true, 'Starting checkout…');
  let checkout: CheckoutMutation['checkout'];
  try {
    ({ checkout } = await client.request(CheckoutDocument, {
      input: { tier: plan.tier, provider, email: apiKey ? null : email || null, successUrl: location.origin + success, cancelUrl: location.origin + cancel },
    }));
  } catch (error) {
    setBusy(false, idleLabel());
    return showApiError(error);
  }

  rememberCheckout({ tier: plan.tier, provider, apiKey: checkout.apiKey?.secret ?? apiKey, newAccount: checkout.apiKey !== null });
  try {
    setBusy(true, 'Redirecting…');
    if (checkout.toss) await startTossBillingAuth(checkout.toss, email || undefined);
    else if (checkout.url) redirectTo(checkout.url);
    else throw new Error('The payment provider returned no page to continue on.');
  } catch (error) {
    setBusy(false, 'Try again');
    showError(error instanceof Error ? error.message : String(error));
    // The account exists now: its key must not be lost with the failed redirect. It is shown here
    // (so not again on a billing page) and fills the key field, so a retry buys for this account.
    if (checkout.apiKey) {
      takePendingCheckout();
      revealApiKey(createdKeyBox, checkout.apiKey.secret, 'Your free account was created. Your API key:');
      keyField.open = true;
      keyInput.value = checkout.apiKey.secret;
    }
  }
}

async function submitRegister(): Promise<void> {
  setBusy(true, 'Creating…');
  try {
    const { register } = await api.request(RegisterDocument, { input: { email: emailInput.value.trim() } });
    revealApiKey(createdKeyBox, register.apiKey.secret, `Welcome! Your Free account for ${register.user.email} is ready. Your API key:`);
    setBusy(true, 'Done');
  } catch (error) {
    setBusy(false, idleLabel());
    showApiError(error);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearError();
  void (mode.kind === 'checkout' ? submitCheckout(mode.plan) : submitRegister());
});
byId('checkout-close').addEventListener('click', closeModal);
// A click on the backdrop (the dialog element itself, outside the form) closes, like Escape does.
dialog.addEventListener('click', (event) => {
  if (event.target === dialog) closeModal();
});
dialog.addEventListener('close', () => {
  opener?.focus();
  opener = null;
});
// Coming back from the provider with the Back button restores this page from the cache: unlock the form.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) setBusy(false, idleLabel());
});

setUpConnectTabs();
void loadPlans();
