/**
 * Starts libuv pool jobs in bursts: the jobs asked for during one turn of the event loop are
 * started together in its check phase (setImmediate), right after the poll phase that asked.
 *
 * Starting a job while the pool's threads sleep wakes one (a futex call and, on a VM, an
 * interprocessor interrupt, paid on the event loop). A signature takes ~25 µs on a pool thread,
 * so under load the threads fell asleep between requests and nearly every token paid a wake-up:
 * `signOneShot` was 18 % of the event loop's time in a client_credentials profile, as much as
 * signing in place. Started in a burst, the first jobs wake the threads and the rest queue behind
 * them (README, Performance: 6 % after).
 */
let pending: Array<() => void> = [];

function startPending(): void {
  const burst = pending;
  pending = [];
  for (const start of burst) start();
}

/**
 * A promise settled by `start`, which runs in the current turn's burst. `start` hands its job to
 * the pool (a node:crypto call with a callback); if it throws, only its own promise rejects.
 */
export function inPoolBurst<T>(start: (resolve: (value: T) => void, reject: (error: unknown) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const run = () => {
      try {
        start(resolve, reject);
      } catch (error) {
        reject(error);
      }
    };
    if (pending.push(run) === 1) setImmediate(startPending);
  });
}
