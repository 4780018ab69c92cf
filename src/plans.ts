import { Provider, QuotaResource, Tier } from './entities/enums.js';

/**
 * The plan table (docs/api.md): the single source of every limit and price. Prices are in the
 * currency's minor unit (USD cents, KRW won).
 */

export interface TierLimits {
  maxMemories: number | null;
  maxAgents: number | null;
  requestsPerMinute: number | null;
  maxApiKeys: number | null;
}

export interface PlanDefinition {
  tier: Tier;
  name: string;
  limits: TierLimits;
  /** Monthly price per currency family; FREE has none. */
  usdCents: number | null;
  krw: number | null;
}

export const PLANS: Record<Tier, PlanDefinition> = {
  [Tier.FREE]: {
    tier: Tier.FREE,
    name: 'Free',
    limits: { maxMemories: 5_000, maxAgents: 1, requestsPerMinute: 60, maxApiKeys: 1 },
    usdCents: null,
    krw: null,
  },
  [Tier.PRO]: {
    tier: Tier.PRO,
    name: 'Pro',
    limits: { maxMemories: 50_000, maxAgents: 5, requestsPerMinute: 300, maxApiKeys: 5 },
    usdCents: 2_900,
    krw: 39_000,
  },
  [Tier.TEAM]: {
    tier: Tier.TEAM,
    name: 'Team',
    limits: { maxMemories: 500_000, maxAgents: 20, requestsPerMinute: 1_000, maxApiKeys: 20 },
    usdCents: 9_900,
    krw: 129_000,
  },
};

/** Self-hosted mode: the owner has no limits at all. */
export const UNLIMITED: TierLimits = { maxMemories: null, maxAgents: null, requestsPerMinute: null, maxApiKeys: null };

export const TIER_ORDER: readonly Tier[] = [Tier.FREE, Tier.PRO, Tier.TEAM];

export const tierRank = (tier: Tier): number => TIER_ORDER.indexOf(tier);

export const highestTier = (tiers: Tier[]): Tier =>
  tiers.reduce((best, tier) => (tierRank(tier) > tierRank(best) ? tier : best), Tier.FREE);

/** The next tier up, or null at the top. */
export const nextTier = (tier: Tier): Tier | null => TIER_ORDER[tierRank(tier) + 1] ?? null;

export interface Price {
  provider: Provider;
  amount: number;
  currency: string;
  interval: string;
}

/** The price a provider charges for a tier, or null for FREE. DEMO is priced like Stripe. */
export function priceFor(tier: Tier, provider: Provider): Price | null {
  const plan = PLANS[tier];
  if (provider === Provider.TOSS) {
    return plan.krw === null ? null : { provider, amount: plan.krw, currency: 'KRW', interval: 'month' };
  }
  return plan.usdCents === null ? null : { provider, amount: plan.usdCents, currency: 'USD', interval: 'month' };
}

const RESOURCE_LIMIT: Record<QuotaResource, keyof TierLimits> = {
  [QuotaResource.MEMORIES]: 'maxMemories',
  [QuotaResource.AGENTS]: 'maxAgents',
  [QuotaResource.API_KEYS]: 'maxApiKeys',
};

export const limitFor = (limits: TierLimits, resource: QuotaResource): number | null => limits[RESOURCE_LIMIT[resource]];

const RESOURCE_LABEL: Record<QuotaResource, string> = {
  [QuotaResource.MEMORIES]: 'Memory',
  [QuotaResource.AGENTS]: 'Agent',
  [QuotaResource.API_KEYS]: 'API key',
};

/** "Memory limit reached (5000/5000). Upgrade to PRO for 50000: <PUBLIC_URL>/#pricing" */
export function quotaMessage(resource: QuotaResource, tier: Tier, used: number, limit: number, publicUrl: string) {
  const upgradeTier = nextTier(tier);
  const head = `${RESOURCE_LABEL[resource]} limit reached (${used}/${limit}).`;
  if (!upgradeTier) return { upgradeTier, message: head };
  const upgradeLimit = limitFor(PLANS[upgradeTier].limits, resource);
  return { upgradeTier, message: `${head} Upgrade to ${upgradeTier} for ${upgradeLimit}: ${publicUrl}/#pricing` };
}

/** The providers a buyer may choose on this deployment: each one configured, plus DEMO outside production. */
export function enabledProviders(config: { stripe?: unknown; lemon?: unknown; toss?: unknown; billingDemo: boolean; billingEnabled: boolean }): Provider[] {
  if (!config.billingEnabled) return [];
  const providers: Provider[] = [];
  if (config.stripe) providers.push(Provider.STRIPE);
  if (config.lemon) providers.push(Provider.LEMON_SQUEEZY);
  if (config.toss) providers.push(Provider.TOSS);
  if (config.billingDemo) providers.push(Provider.DEMO);
  return providers;
}

/** The public price list (`plans`): every tier, priced for each provider that is on. */
export function listPlans(providers: Provider[]) {
  return TIER_ORDER.map((tier) => ({
    tier,
    name: PLANS[tier].name,
    limits: PLANS[tier].limits,
    prices: providers.map((provider) => priceFor(tier, provider)).filter((p): p is Price => p !== null),
  }));
}
