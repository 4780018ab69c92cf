import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { LocalEmbeddings } from '../../src/embeddings/local.js';
import { EmbeddingsUnavailable } from '../../src/embeddings/model.js';
import { eventually } from '../support/eventually.js';
import { runCommand } from '../support/spawn.js';
import { conversationTurns, maxAbsDiff } from './helpers.js';

/** The model never makes a caller wait on something that cannot come: it says so at once. */

describe('the local embedding model when it cannot answer', () => {
  it('refuses at once while loading, so a recall goes on lexically instead of waiting', async () => {
    const model = LocalEmbeddings.start({ workers: 1 });
    try {
      expect(model.ready).toBe(false);
      const started = performance.now();
      await expect(model.embedQuery('How should I contact Dana?')).rejects.toThrow(EmbeddingsUnavailable);
      await expect(model.embedBatch(['Dana prefers email.'])).rejects.toThrow(/still loading/);
      expect(performance.now() - started).toBeLessThan(100);
      await model.whenReady();
      expect(await model.embedQuery('How should I contact Dana?')).toHaveLength(512);
    } finally {
      await model.close();
    }
  });

  it('fails work in flight and every later call once closed, and closing twice is harmless', async () => {
    const model = LocalEmbeddings.start({ workers: 1 });
    await model.whenReady();
    const inFlight = expect(model.embedBatch(conversationTurns(200))).rejects.toThrow(EmbeddingsUnavailable);
    await model.close();
    await inFlight;
    await expect(model.embedQuery('anything')).rejects.toThrow(/closed/);
    await expect(model.embedBatch(['anything'])).rejects.toThrow(/closed/);
    await expect(model.whenReady()).rejects.toThrow(/closed/);
    expect(model.status()).toEqual({ ready: 0, starting: 0, failed: 0 });
    await model.close();
  });

  it('fails the work of a worker that stops, keeps serving with the other and starts a new one', async () => {
    const model = LocalEmbeddings.start({ workers: 2 });
    try {
      await eventually(() => model.status().ready === 2, 'two ready workers', { pollMs: 20 });
      const reference = await model.embedQuery('Dana prefers email.');
      const work = expect(model.embedBatch(conversationTurns(200))).rejects.toThrow(/stopped/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Fault injection: the first worker ends without the pool having asked, as a crashed one does.
      // (Between model runs: a thread terminated inside ONNX Runtime's native run aborts the process.)
      const slots = Reflect.get(model, 'slots') as { worker: Worker | null }[];
      const worker = slots[0]!.worker!;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage({ kind: 'stop' });
      await exited;
      await work;
      expect(model.ready).toBe(true);
      expect(maxAbsDiff(await model.embedQuery('Dana prefers email.'), reference)).toBeLessThan(1e-5);
      expect(model.status().starting).toBe(1);
      await eventually(() => model.status().ready === 2, 'the replacement worker', { pollMs: 20 });
      expect((await model.embedBatch(conversationTurns(40))).length).toBe(40);
    } finally {
      await model.close();
    }
  });

  it('closes while its workers are in the middle of model runs without taking the process down', async () => {
    // In a process of its own: the failure this guards against aborts the process it happens in.
    const result = await runCommand(process.execPath, ['--import', 'tsx', 'test/embeddings/fixtures/close-while-running.mjs', 'src/embeddings/local.ts'], { timeoutMs: 120_000 });
    expect(result.stderr).not.toContain('terminate called');
    expect(result.code, result.stderr).toBe(0);
    const { closes, failedInFlight } = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { closes: number; failedInFlight: number };
    expect(closes).toBe(6);
    // The batch was in the model when each close came: it fails (the caller retries later), it does not hang.
    expect(failedInFlight).toBeGreaterThan(0);
  });

  it('refuses a worker count that is not a positive integer', () => {
    expect(() => LocalEmbeddings.start({ workers: 0 })).toThrow(RangeError);
    expect(() => LocalEmbeddings.start({ workers: 1.5 })).toThrow(RangeError);
  });
});
