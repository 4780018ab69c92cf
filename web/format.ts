/**
 * How the pages print plans and prices. Shared with the browser tests, which compare the page
 * against the server's `plans` with these same functions instead of hard-coding any figure.
 */

import type { PlansQuery, Provider } from '../sdk/generated/graphql.js';

export type Plan = PlansQuery['plans'][number];
export type Price = Plan['prices'][number];
type Limits = Plan['limits'];

const LOCALE = 'en-US';

/** Amounts are in the currency's minor unit (docs/api.md): cents for USD, won for KRW. */
export function formatMoney(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  const major = amount / 10 ** digits;
  // Whole amounts read better without ".00" ($29 / month); a price with cents keeps them.
  const fraction = Number.isInteger(major) ? 0 : digits;
  return new Intl.NumberFormat(LOCALE, { style: 'currency', currency: code, minimumFractionDigits: fraction, maximumFractionDigits: fraction }).format(major);
}

const formatCount = (value: number | null): string => (value === null ? 'Unlimited' : new Intl.NumberFormat(LOCALE).format(value));

export const formatInterval = (interval: string): string => `/ ${interval}`;

/** For tight places such as the modal's provider rows: "$29/mo". */
export const formatShortPrice = (price: Pick<Price, 'amount' | 'currency' | 'interval'>): string =>
  `${formatMoney(price.amount, price.currency)}/${price.interval === 'month' ? 'mo' : price.interval === 'year' ? 'yr' : price.interval}`;

const line = (value: number | null, one: string, many: string): [label: string, value: string] => [value === 1 ? one : many, formatCount(value)];

/** The lines a plan card lists, in order: label and value ("5 agents", "1 agent"). */
export function limitLines(limits: Limits): [label: string, value: string][] {
  return [
    line(limits.maxMemories, 'memory', 'memories'),
    line(limits.maxAgents, 'agent', 'agents'),
    line(limits.requestsPerMinute, 'request / minute', 'requests / minute'),
    line(limits.maxApiKeys, 'API key', 'API keys'),
  ];
}

const PROVIDER_ORDER: readonly Provider[] = ['STRIPE', 'LEMON_SQUEEZY', 'TOSS', 'DEMO'];

export const PROVIDER_LABELS: Record<Provider, { name: string; detail: string }> = {
  STRIPE: { name: 'Stripe', detail: 'Card, Apple Pay, Google Pay' },
  LEMON_SQUEEZY: { name: 'Lemon Squeezy', detail: 'Card or PayPal, taxes handled' },
  TOSS: { name: 'Toss Payments', detail: 'Korean cards, billed in KRW' },
  DEMO: { name: 'Demo', detail: 'No money moves (not in production)' },
};

/** The providers the server has on, read from a paid plan's prices (docs/billing.md: one price per provider that is on). */
export function configuredProviders(plans: readonly Plan[]): Provider[] {
  const offered = new Set(plans.flatMap((plan) => plan.prices.map((price) => price.provider)));
  return PROVIDER_ORDER.filter((provider) => offered.has(provider));
}

/**
 * The headline price of a paid plan: in USD when a USD provider is on (Stripe, Lemon Squeezy,
 * Demo), else the first price. The card lists any other currency under it.
 */
export function headlinePrices(plan: Plan): { main: Price | null; others: Price[] } {
  const byCurrency = new Map<string, Price>();
  for (const provider of PROVIDER_ORDER) {
    const price = plan.prices.find((p) => p.provider === provider);
    if (price && !byCurrency.has(price.currency.toUpperCase())) byCurrency.set(price.currency.toUpperCase(), price);
  }
  const all = [...byCurrency.values()];
  const main = byCurrency.get('USD') ?? all[0] ?? null;
  return { main, others: all.filter((price) => price !== main) };
}
