/**
 * The time the rules read (recovery codes and lockouts). Production uses the system clock; tests
 * hand the runtime a clock they move, so time-based rules are tested without waiting.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
