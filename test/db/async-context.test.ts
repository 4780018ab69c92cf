import { AsyncLocalStorage, executionAsyncResource } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { releaseIdleAsyncContexts } from '../../src/db/async-context.js';
import { RegisterDocument } from '../../sdk/index.js';
import { startTestServer } from '../support/server.js';

releaseIdleAsyncContexts();

/**
 * Whether Node is tracking promises for some AsyncLocalStorage: only then does a promise
 * continuation run with the promise itself as its async resource.
 */
async function promisesTracked(): Promise<boolean> {
  await null;
  return executionAsyncResource() instanceof Promise;
}

describe('AsyncLocalStorage released when idle', () => {
  it('keeps each concurrent run its own store across awaits, nested runs included', async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name, i) =>
        storage.run(name, async () => {
          await sleep(5 * (4 - i));
          const outer = storage.getStore();
          const inner = await storage.run(`${name}-inner`, async () => (await sleep(1), storage.getStore()));
          return [outer, inner, storage.getStore()];
        }),
      ),
    );
    expect(seen).toEqual(['a', 'b', 'c', 'd'].map((n) => [n, `${n}-inner`, n]));
  });

  it('stops promise tracking once the last run settles, and starts it again for the next run', async () => {
    const storage = new AsyncLocalStorage<number>();
    const during = await storage.run(1, () => promisesTracked());
    expect(during).toBe(true);
    expect(await promisesTracked()).toBe(false);
    expect(storage.getStore()).toBeUndefined();
    expect(await storage.run(2, async () => (await promisesTracked()) && storage.getStore())).toBe(2);
  });

  it('passes a rejection and a synchronous throw through, and still releases', async () => {
    const storage = new AsyncLocalStorage<number>();
    await expect(storage.run(1, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(() => storage.run(1, () => { throw new Error('sync'); })).toThrow('sync');
    expect(await promisesTracked()).toBe(false);
  });

  it('never releases a storage entered with enterWith (it has no end)', async () => {
    const storage = new AsyncLocalStorage<number>();
    await storage.run(1, async () => {});
    storage.enterWith(7);
    await storage.run(2, async () => {});
    expect(storage.getStore()).toBe(7);
    storage.disable();
  });

  it('leaves no tracking on after the server has run database transactions', async () => {
    const server = await startTestServer();
    try {
      await server.client().request(RegisterDocument, { input: { email: `als-${Date.now()}@example.com` } });
      expect(await promisesTracked()).toBe(false);
    } finally {
      await server.close();
    }
  });
});
