import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider } from '../entities/enums.js';
import type { BillingDeps } from '../services/billing/deps.js';
import { reconcileSubscriptions } from '../services/billing/reconcile-subscriptions.js';
import { expireEndedSubscriptions } from '../services/billing/subscription-expiry.js';
import { renewTossSubscriptions } from '../services/billing/toss-billing.js';
import type { JobDefinition } from './scheduler.js';

export const TOSS_RENEWAL_JOB = 'toss-renewals';
export const EXPIRY_JOB = 'expire-subscriptions';
export const RECONCILE_JOB = 'reconcile-subscriptions';

const TEN_MINUTES = 10 * 60_000;
const ONE_DAY = 24 * 3600_000;

export interface BillingJobDeps extends BillingDeps {
  forkEm(): EntityManager;
}

/** The scheduled billing work of an instance; every instance runs it, the services make that safe. */
export function billingJobs(deps: BillingJobDeps): JobDefinition[] {
  if (!deps.config.billingEnabled) return [];
  const jobs: JobDefinition[] = [];
  if (deps.config.toss) {
    jobs.push({
      name: TOSS_RENEWAL_JOB,
      everyMs: TEN_MINUTES,
      run: async () => {
        const report = await renewTossSubscriptions(deps, deps.forkEm());
        if (report.charged + report.declined + report.expired + report.errors > 0) deps.logger.info({ job: TOSS_RENEWAL_JOB, ...report }, 'Toss renewals run');
      },
    });
  }
  jobs.push({
    name: EXPIRY_JOB,
    everyMs: TEN_MINUTES,
    run: async () => {
      const expired = await expireEndedSubscriptions(deps, deps.forkEm());
      if (expired > 0) deps.logger.info({ job: EXPIRY_JOB, expired }, 'ended subscriptions expired');
    },
  });
  // Daily: each provider's view of every live subscription, to heal missed or lost webhooks. The demo
  // provider keeps no state of its own, so there is nothing to compare with.
  jobs.push({
    name: RECONCILE_JOB,
    everyMs: ONE_DAY,
    run: async () => {
      for (const provider of deps.providers.list()) {
        if (provider !== Provider.DEMO) await reconcileSubscriptions(deps, deps.forkEm(), provider);
      }
    },
  });
  return jobs;
}
