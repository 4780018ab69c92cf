import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Metrics } from '../../metrics.js';
import type { ProviderRegistry } from '../../providers/index.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { Entitlements } from './entitlements.js';

/**
 * What the billing services need from the running server. Named here, by the services, so that they
 * depend on these parts and not on the composition root that builds them (src/runtime.ts).
 */
export interface BillingDeps {
  config: Config;
  logger: Logger;
  providers: ProviderRegistry;
  entitlements: Entitlements;
}

/** Webhook ingest also counts outcomes, limits unsigned deliveries and opens its own transactions. */
export interface WebhookDeps extends BillingDeps {
  metrics: Metrics;
  db: Database;
  rateLimiter: RateLimiter;
}
