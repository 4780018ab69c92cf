import type { CacheBus, CacheTopic } from './cache-bus.js';

export interface Loaded<V> {
  value: V;
  /** Keep this entry no longer than this (e.g. until a grant expires). */
  maxAgeMs?: number;
}

/**
 * An in-process cache whose entries are dropped on every instance when the bus announces a change.
 * A load that started before an invalidation is never cached (the generation check), so a reader
 * racing a revocation cannot put the old state back. Concurrent loads of one id share one query.
 */
export class InvalidatingCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly inflight = new Map<string, Promise<V>>();
  private generation = 0;

  constructor(
    private readonly bus: CacheBus,
    topic: CacheTopic,
    private readonly options: { ttlMs: number; maxEntries: number },
  ) {
    bus.on('message', (message) => {
      if (message.topic === topic) this.invalidate(message.id);
    });
    bus.on('reset', () => this.clear());
  }

  async get(id: string, load: () => Promise<Loaded<V>>): Promise<V> {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt > Date.now()) return entry.value;
    const pending = this.inflight.get(id);
    if (pending) return pending;
    const generation = this.generation;
    const promise = load()
      .then(({ value, maxAgeMs }) => {
        if (generation === this.generation) this.set(id, value, maxAgeMs);
        return value;
      })
      .finally(() => {
        if (this.inflight.get(id) === promise) this.inflight.delete(id);
      });
    this.inflight.set(id, promise);
    return promise;
  }

  invalidate(id: string): void {
    this.generation++;
    this.entries.delete(id);
    this.inflight.delete(id);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.inflight.clear();
  }

  private set(id: string, value: V, maxAgeMs = Infinity): void {
    // Without a working channel another instance's change could go unheard: trust an entry 1s at most.
    const ttl = Math.min(this.bus.connected ? this.options.ttlMs : 1_000, maxAgeMs);
    if (ttl <= 0) return;
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(id);
    this.entries.set(id, { value, expiresAt: Date.now() + ttl });
  }
}
