export interface WaitOptions {
  /** Give up (and throw) after this long. */
  timeoutMs: number;
  /** Pause between checks. */
  intervalMs?: number;
  /** Said in the error when the condition never held. */
  what?: string;
}

/**
 * Polls `condition` until it holds; throws when it has not within timeoutMs. The one way tests
 * wait for something another process or a background timer does: never a fixed sleep (to move
 * time, use helpers/manual-clock.ts instead).
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, { timeoutMs, intervalMs = 100, what = 'condition' }: WaitOptions): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
