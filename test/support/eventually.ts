/**
 * Waits until `read()` returns something truthy, polling, and returns it: for what a test cannot be
 * told about (a page's text, a background job's effect, the database's activity counters).
 */
export async function eventually<T>(read: () => Promise<T> | T, what: string, { timeoutMs = 30_000, pollMs = 100 } = {}): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (last) return last as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
