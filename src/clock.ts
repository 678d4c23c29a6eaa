/** The time source for everything time-dependent in keys/ and tokens/, so tests can move time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The clock's time as a Date, for timestamps written to the database. */
export function nowDate(deps: { clock: Clock }): Date {
  return new Date(deps.clock.now());
}

/** Whole seconds since the epoch, as JWT NumericDate claims use. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/** Milliseconds elapsed since the call, on the monotonic clock (for budgets, not for timestamps). */
export function stopwatch(): () => number {
  const started = performance.now();
  return () => performance.now() - started;
}
