import type { Runtime } from '../runtime.js';
import { renewTossSubscriptions } from '../services/toss-billing.js';
import { expireEndedSubscriptions } from '../services/subscription-expiry.js';

export const TOSS_RENEWAL_JOB = 'toss-renewals';
export const EXPIRY_JOB = 'expire-subscriptions';

const TEN_MINUTES = 10 * 60_000;

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
}
