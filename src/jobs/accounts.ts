import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { markKeysUsed, pruneRevokedKeys } from '../services/accounts/api-keys.js';
import type { Authenticator } from '../services/accounts/authentication.js';
import { PostgresCounterStore, type CounterStore } from '../services/limits/rate-limiter.js';
import { FLUSH_INTERVAL_MS, type UsageMeter } from '../services/limits/usage.js';
import type { JobDefinition } from './scheduler.js';

export const PRUNE_REVOKED_KEYS_JOB = 'prune-revoked-keys';
export const FLUSH_USAGE_JOB = 'flush-usage';
export const PRUNE_RATE_LIMITS_JOB = 'prune-rate-limits';

export interface AccountJobDeps {
  forkEm(): EntityManager;
  logger: Logger;
  clock: Clock;
  usage: UsageMeter;
  authenticator: Authenticator;
  rateLimiter: { store: CounterStore };
}

/** Account and metering upkeep of an instance; every instance runs it, each step is safe to repeat. */
export function accountJobs(deps: AccountJobDeps): JobDefinition[] {
  const jobs: JobDefinition[] = [
    {
      name: FLUSH_USAGE_JOB,
      everyMs: FLUSH_INTERVAL_MS,
      run: async () => {
        await deps.usage.flush();
        await markKeysUsed(deps.forkEm(), deps.authenticator.drainTouched());
      },
    },
    {
      name: PRUNE_REVOKED_KEYS_JOB,
      everyMs: 3_600_000,
      run: async () => {
        const pruned = await pruneRevokedKeys(deps.forkEm(), deps.clock.now());
        if (pruned > 0) deps.logger.info({ job: PRUNE_REVOKED_KEYS_JOB, pruned }, 'keys revoked over 30 days ago deleted');
      },
    },
  ];
  // Redis expires its windows itself; PostgreSQL's counter rows are deleted once their window ended.
  if (deps.rateLimiter.store.kind === 'postgres') {
    jobs.push({ name: PRUNE_RATE_LIMITS_JOB, everyMs: 60_000, run: () => PostgresCounterStore.prune(deps.forkEm()) });
  }
  return jobs;
}
