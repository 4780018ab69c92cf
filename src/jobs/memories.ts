import type { Runtime } from '../runtime.js';
import { foldTermDeltas, sweepExpiredMemories } from '../services/memory-jobs.js';

export const SWEEP_JOB = 'sweep-expired-memories';
export const EMBED_JOB = 'embed-missing-memories';
export const FOLD_JOB = 'fold-term-statistics';
export const ANALYZE_JOB = 'analyze-embedded-memories';

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
  // PostgreSQL's autovacuum keeps planner statistics; the embedded database has no autovacuum, and
  // without statistics the planner ignores the full-text and vector indexes recall is built on.
  if (rt.db.embedded) {
    rt.scheduler.add({ name: ANALYZE_JOB, everyMs: 5 * 60_000, run: () => rt.forkEm().execute('analyze memories, memory_terms, memory_term_deltas') });
  }
  if (!rt.semantic.canEmbed) return;
  // Stores wake the worker themselves; this run picks up what other instances, a failing model or
  // a configuration without a model left without a vector.
  rt.scheduler.add({ name: EMBED_JOB, everyMs: 5_000, run: () => rt.embeddingWorker.drain() });
}
