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
  private readonly jobs = new Map<string, () => Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly logger: Logger, private readonly onRun?: (job: string, ok: boolean, ms: number) => void) {}

  add(job: JobDefinition): void {
    let current: Promise<void> | null = null;
    const tick = (): Promise<void> => {
      if (current) return current;
      if (this.stopped) return Promise.resolve();
      const started = Date.now();
      const run = job
        .run()
        .then(
          () => this.onRun?.(job.name, true, Date.now() - started),
          (err: Error) => {
            this.onRun?.(job.name, false, Date.now() - started);
            this.logger.error({ job: job.name, err }, 'job failed');
          },
        )
        .finally(() => {
          current = null;
          this.running.delete(run);
        });
      this.running.add(run);
      current = run;
      return run;
    };
    this.jobs.set(job.name, tick);
    const timer = setInterval(tick, job.everyMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Runs a job now and waits for it: a run already in progress is waited for, then a fresh one starts. */
  async runNow(name: string): Promise<void> {
    const tick = this.jobs.get(name);
    if (!tick) throw new Error(`no job named ${name}`);
    await tick();
    await tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    await Promise.all(this.running);
  }
}
