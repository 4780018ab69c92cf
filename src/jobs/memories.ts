import type { Runtime } from '../runtime.js';
import { foldTermDeltas, sweepExpiredMemories } from '../services/memory-jobs.js';

export const SWEEP_JOB = 'sweep-expired-memories';
export const EMBED_JOB = 'embed-missing-memories';
export const FOLD_JOB = 'fold-term-statistics';

/** The scheduled memory upkeep of an instance; every instance runs it, the services make that safe. */
export function addMemoryJobs(rt: Runtime): void {
  rt.scheduler.add({
    name: SWEEP_JOB,
    everyMs: 60_000,
    run: async () => {
      const swept = await sweepExpiredMemories(rt.forkEm());
      if (swept > 0) rt.logger.info({ job: SWEEP_JOB, swept }, 'expired memories deleted');
    },
  });
  // Often: a recall sums the deltas not folded yet, and a busy store load adds thousands a second.
  rt.scheduler.add({ name: FOLD_JOB, everyMs: 2_000, run: () => foldTermDeltas(rt.forkEm()) });
  if (!rt.semantic.canEmbed) return;
  // Stores wake the worker themselves; this run picks up what other instances, a failing model or
  // a configuration without a model left without a vector.
  rt.scheduler.add({ name: EMBED_JOB, everyMs: 5_000, run: () => rt.embeddingWorker.drain() });
}
