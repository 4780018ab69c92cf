/**
 * One provider read per key at a time, its answer (or failure) shared for a short while: a flood of
 * deliveries naming the same object costs one API call, not one each. Bounded in size, so keys an
 * attacker makes up cannot grow it without end.
 */
export class SharedReads<V> {
  private readonly entries = new Map<string, { promise: Promise<V>; settledAt: number | null }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `own` is true when this call made the read; false when it joined one in flight or got a recent answer. */
  read(key: string, load: () => Promise<V>): { promise: Promise<V>; own: boolean } {
    const found = this.entries.get(key);
    if (found && (found.settledAt === null || this.now() - found.settledAt < this.ttlMs)) return { promise: found.promise, own: false };
    if (found) this.entries.delete(key);
    this.makeRoom();
    const entry: { promise: Promise<V>; settledAt: number | null } = { promise: load(), settledAt: null };
    const settled = () => void (entry.settledAt = this.now());
    entry.promise.then(settled, settled);
    this.entries.set(key, entry);
    return { promise: entry.promise, own: true };
  }

  private makeRoom(): void {
    if (this.entries.size < this.maxEntries) return;
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.settledAt !== null && now - entry.settledAt >= this.ttlMs) this.entries.delete(key);
    // Still full: drop the oldest (a Map keeps insertion order).
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
