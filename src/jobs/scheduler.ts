import type { Logger } from 'pino';

export interface JobDefinition {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/**
 * Runs each job on its interval, never two runs of one job at once. `stop` waits for the runs in
 * progress, so shutdown does not cut a job off halfway through a batch.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly logger: Logger, private readonly onRun?: (job: string, ok: boolean, ms: number) => void) {}

  add(job: JobDefinition): void {
    let busy = false;
    const tick = () => {
      if (busy || this.stopped) return;
      busy = true;
      const started = Date.now();
      const run = job
        .run()
        .then(
          () => this.onRun?.(job.name, true, Date.now() - started),
          (err: Error) => {
            this.onRun?.(job.name, false, Date.now() - started);
            this.logger.error({ job: job.name, err: err.message }, 'job failed');
          },
        )
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    };
    const timer = setInterval(tick, job.everyMs);
    timer.unref();
    this.timers.add(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    await Promise.all(this.running);
  }
}
