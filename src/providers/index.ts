import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { Provider } from '../entities/enums.js';
import { providerNotConfigured } from '../errors.js';
import { enabledProviders } from '../plans.js';
import { DemoProvider } from './demo.js';
import { LemonSqueezyProvider } from './lemonsqueezy.js';
import type { StripeProvider } from './stripe.js';
import { TossProvider } from './toss.js';
import type { PaymentProvider } from './types.js';

export type { PaymentProvider } from './types.js';

/**
 * The payment providers of this deployment, built once from the configuration: only the configured
 * ones, and Demo only when BILLING_DEMO is on (never in production). Asking for any other answers
 * PROVIDER_NOT_CONFIGURED.
 */
export class ProviderRegistry {
  constructor(private readonly providers: ReadonlyMap<Provider, PaymentProvider>) {}

  get(provider: Provider): PaymentProvider {
    const found = this.providers.get(provider);
    if (!found) throw providerNotConfigured(provider);
    return found;
  }

  has(provider: Provider): boolean {
    return this.providers.has(provider);
  }

  /** The configured providers, in the order `plans` lists them. */
  list(): Provider[] {
    return [...this.providers.keys()];
  }

  toss(): TossProvider {
    return this.get(Provider.TOSS) as TossProvider;
  }

  stripe(): StripeProvider {
    return this.get(Provider.STRIPE) as StripeProvider;
  }

  lemon(): LemonSqueezyProvider {
    return this.get(Provider.LEMON_SQUEEZY) as LemonSqueezyProvider;
  }

  demo(): DemoProvider {
    return this.get(Provider.DEMO) as DemoProvider;
  }
}

/** Stripe's SDK (about 20 MB resident once loaded) is loaded only by deployments that use Stripe. */
export async function createProviderRegistry(config: Config, logger: Logger): Promise<ProviderRegistry> {
  const options = { timeoutMs: config.providerTimeoutMs, publicUrl: config.publicUrl, logger: logger.child({ component: 'billing' }) };
  const providers = new Map<Provider, PaymentProvider>();
  for (const provider of enabledProviders(config)) {
    switch (provider) {
      case Provider.STRIPE:
        providers.set(provider, new (await import('./stripe.js')).StripeProvider(config.stripe!, options));
        break;
      case Provider.LEMON_SQUEEZY:
        providers.set(provider, new LemonSqueezyProvider(config.lemon!, options));
        break;
      case Provider.TOSS:
        providers.set(provider, new TossProvider(config.toss!, options));
        break;
      case Provider.DEMO:
        providers.set(provider, new DemoProvider(options));
        break;
    }
  }
  return new ProviderRegistry(providers);
}
