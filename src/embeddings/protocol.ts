/**
 * What the pool (./local.ts) and its worker threads (./worker.ts) share: the model's identity and
 * their messages. The pool imports nothing of ONNX Runtime, which only the workers load.
 */

export const USE_LITE_NAME = 'universal-sentence-encoder-lite';
export const USE_LITE_DIM = 512;

export type Lane = 'query' | 'batch';

export type ToWorker =
  | { kind: 'embed'; id: number; lane: Lane; texts: string[] }
  /**
   * End after the model run in progress: a thread terminated in the middle of ONNX Runtime's native
   * run makes its binding throw a C++ exception that aborts the whole process.
   */
  | { kind: 'stop' };

export type FromWorker =
  | { kind: 'ready'; loadMs: number }
  | { kind: 'failed'; message: string }
  /** `texts.length` × 512 floats, text after text. */
  | { kind: 'done'; id: number; vectors: Float32Array }
  | { kind: 'error'; id: number; message: string };
