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
  /** Stripe's arrives as a promise: its SDK loads once the server listens (createProviderRegistry). */
  constructor(private readonly providers: ReadonlyMap<Provider, PaymentProvider | Promise<PaymentProvider>>) {}

  /** The provider, once loaded (only Stripe's ever waits, and only until just after the start). */
  async get(provider: Provider): Promise<PaymentProvider> {
    const found = this.providers.get(provider);
    if (!found) throw providerNotConfigured(provider);
    return found;
  }

  /** A provider that is never loaded lazily (Toss, Lemon Squeezy, Demo). */
  private now(provider: Provider): PaymentProvider {
    const found = this.providers.get(provider);
    if (!found) throw providerNotConfigured(provider);
    if (found instanceof Promise) throw new Error(`${provider} is loaded lazily: use get()`);
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
    return this.now(Provider.TOSS) as TossProvider;
  }

  async stripe(): Promise<StripeProvider> {
    return (await this.get(Provider.STRIPE)) as StripeProvider;
  }

  lemon(): LemonSqueezyProvider {
    return this.now(Provider.LEMON_SQUEEZY) as LemonSqueezyProvider;
  }

  demo(): DemoProvider {
    return this.now(Provider.DEMO) as DemoProvider;
  }
}

/**
 * Stripe's SDK (about 20 MB resident once loaded) is loaded only by deployments that use Stripe, and
 * only after `loadAfter` (main.ts: once the server listens; ~0.2 s of CPU that the start need not wait for).
 */
export async function createProviderRegistry(config: Config, logger: Logger, loadAfter: Promise<unknown> = Promise.resolve()): Promise<ProviderRegistry> {
  const options = { timeoutMs: config.providerTimeoutMs, publicUrl: config.publicUrl, logger: logger.child({ component: 'billing' }) };
  const providers = new Map<Provider, PaymentProvider | Promise<PaymentProvider>>();
  for (const provider of enabledProviders(config)) {
    switch (provider) {
      case Provider.STRIPE: {
        const loading = loadAfter.then(
          () => import('./stripe.js'),
          () => import('./stripe.js'),
        ).then(({ StripeProvider }) => new StripeProvider(config.stripe!, options));
        loading.catch((err: unknown) => logger.error({ err }, 'the Stripe provider failed to load'));
        providers.set(provider, loading);
        break;
      }
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
