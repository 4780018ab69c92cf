import type { Runtime } from '../runtime.js';
import { renewTossSubscriptions } from '../services/toss-billing.js';
import { expireEndedSubscriptions } from '../services/subscription-expiry.js';
import { reconcileSubscriptions } from '../services/reconcile-subscriptions.js';
import { Provider } from '../entities/enums.js';

export const TOSS_RENEWAL_JOB = 'toss-renewals';
export const EXPIRY_JOB = 'expire-subscriptions';
export const RECONCILE_JOB = 'reconcile-subscriptions';

const TEN_MINUTES = 10 * 60_000;
const ONE_DAY = 24 * 3600_000;

/** The scheduled billing work of an instance; every instance runs it, the services make that safe. */
export function addBillingJobs(rt: Runtime): void {
  if (!rt.config.billingEnabled) return;
  if (rt.config.toss) {
    rt.scheduler.add({
      name: TOSS_RENEWAL_JOB,
      everyMs: TEN_MINUTES,
      run: async () => {
        const report = await renewTossSubscriptions(rt, rt.forkEm());
        if (report.charged + report.declined + report.expired + report.errors > 0) rt.logger.info({ job: TOSS_RENEWAL_JOB, ...report }, 'Toss renewals run');
      },
    });
  }
  rt.scheduler.add({
    name: EXPIRY_JOB,
    everyMs: TEN_MINUTES,
    run: async () => {
      const expired = await expireEndedSubscriptions(rt, rt.forkEm());
      if (expired > 0) rt.logger.info({ job: EXPIRY_JOB, expired }, 'ended subscriptions expired');
    },
  });
  // Daily: each provider's view of every live subscription, to heal missed or lost webhooks. The demo
  // provider keeps no state of its own, so there is nothing to compare with.
  rt.scheduler.add({
    name: RECONCILE_JOB,
    everyMs: ONE_DAY,
    run: async () => {
      for (const provider of rt.providers.list()) {
        if (provider !== Provider.DEMO) await reconcileSubscriptions(rt, rt.forkEm(), provider);
      }
    },
  });
}
