import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Makes every AsyncLocalStorage let go of Node's async hooks once its last `run()` has settled.
 *
 * MikroORM keeps three AsyncLocalStorage instances (the transaction context, the flush guard and
 * the raw-fragment registry) and enters them on every transaction and flush. On Node 20 a storage
 * that has run once stays enabled for the life of the process, and while any storage is enabled
 * every promise the process creates goes through async-hook bookkeeping. After the first database
 * write, a request that never touches the database (a cached key, an in-memory or Redis rate
 * limit) paid about a third of its CPU for it (README, "Benchmarks"). Released here, only the time
 * during which some transaction or flush is actually running pays.
 *
 * Semantics kept: inside a run, and in everything it awaits, `getStore()` answers as before,
 * whatever runs concurrently; a storage is released only when no run of it is pending. A storage
 * that was ever entered with `enterWith()` (which has no end) is never released.
 */

type Storage = AsyncLocalStorage<unknown>;

const pendingRuns = new WeakMap<Storage, number>();
const entered = new WeakSet<Storage>();
let installed = false;

function runSettled(storage: Storage): void {
  const pending = (pendingRuns.get(storage) ?? 1) - 1;
  if (pending > 0) {
    pendingRuns.set(storage, pending);
    return;
  }
  pendingRuns.delete(storage);
  if (!entered.has(storage)) storage.disable();
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/** Idempotent; called before the ORM is first used (src/db/orm.ts). */
export function releaseIdleAsyncContexts(): void {
  if (installed) return;
  installed = true;
  const proto = AsyncLocalStorage.prototype as Storage;
  const run = proto.run;
  const enterWith = proto.enterWith;

  proto.enterWith = function (this: Storage, store: unknown) {
    entered.add(this);
    return enterWith.call(this, store);
  };

  proto.run = function <R>(this: Storage, store: unknown, callback: (...args: unknown[]) => R, ...args: unknown[]): R {
    pendingRuns.set(this, (pendingRuns.get(this) ?? 0) + 1);
    let result: R;
    try {
      result = run.call(this, store, callback, ...args) as R;
    } catch (err) {
      runSettled(this);
      throw err;
    }
    if (!isPromiseLike(result)) {
      runSettled(this);
      return result;
    }
    // The caller gets a promise that settles after the release, with the same value or error
    // (a rejection nobody handles is still reported: it is this promise's).
    return Promise.resolve(result).then(
      (value) => (runSettled(this), value),
      (err: unknown) => {
        runSettled(this);
        throw err;
      },
    ) as R;
  } as Storage['run'];
}
