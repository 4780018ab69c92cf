import type { Runtime } from '../runtime.js';
import { pruneRevokedKeys } from '../services/api-keys.js';

export const PRUNE_REVOKED_KEYS_JOB = 'prune-revoked-keys';

/** Account upkeep of an instance; every instance runs it, a delete by age is safe to repeat. */
export function addAccountJobs(rt: Runtime): void {
  rt.scheduler.add({
    name: PRUNE_REVOKED_KEYS_JOB,
    everyMs: 3_600_000,
    run: async () => {
      const pruned = await pruneRevokedKeys(rt.forkEm(), rt.clock.now());
      if (pruned > 0) rt.logger.info({ job: PRUNE_REVOKED_KEYS_JOB, pruned }, 'keys revoked over 30 days ago deleted');
    },
  });
}
