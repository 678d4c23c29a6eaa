/** Why a task never ran: the line was full, or its caller withdrew it (client gone, server closing). */
export type Refusal = 'queue_full' | 'client_gone' | 'shutting_down';

/** The abort reason a caller gives when the server closes (any other reason counts as client_gone). */
export const SHUTTING_DOWN = 'shutting_down';

/** How many tasks a limit runs now and how many wait for a slot, its bounds, and what it refused. */
export interface LimitLoad {
  running: number;
  queued: number;
  /** Places held for work about to be asked for (reserve()): they count against the line's bound. */
  reserved: number;
  limit: number;
  maxQueued: number;
  /** Tasks started since the limit was made (the work actually done). */
  started: number;
  refused: Record<Refusal, number>;
}

/** A task the limit did not run; `retryAfterSeconds` is how long the line now takes to clear. */
export class WorkRefused extends Error {
  override name = 'WorkRefused';
  constructor(
    readonly reason: Refusal,
    readonly retryAfterSeconds: number,
  ) {
    super(`work refused: ${reason}`);
  }
}

interface Waiter {
  /** Takes the slot handed over; false (and refused) if its caller withdrew it meanwhile. */
  start(): boolean;
  refuse(reason: Refusal): void;
}

/** Task durations weigh into the running mean with this share (for Retry-After only). */
const DURATION_WEIGHT = 0.1;

/**
 * Runs at most `limit` tasks at once; at most `maxQueued` others wait, in arrival order, and any
 * more are refused at once (queue_full). A waiting task has not started, so it holds nothing but
 * its place in the line (for argon2: no memory block yet). A finishing task hands its slot straight
 * to the first in line, so a newcomer cannot overtake. A task whose signal aborts leaves the line at
 * once and never starts: work for a client that has gone costs nothing.
 */
export class ConcurrencyLimit {
  #running = 0;
  #started = 0;
  readonly #waiting: Waiter[] = [];
  /** Reservations not yet used, by the signal of the work they are for. */
  readonly #reserved = new Set<AbortSignal>();
  readonly #listeners = new Set<(load: LimitLoad) => void>();
  readonly #refused: Record<Refusal, number> = { queue_full: 0, client_gone: 0, shutting_down: 0 };
  /** Running mean of a task's duration, ms; 0 until one has finished. */
  #meanMs = 0;

  constructor(
    readonly limit: number,
    readonly maxQueued = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a concurrency limit must be a whole number of at least 1 (got ${limit})`);
    if (maxQueued !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxQueued) || maxQueued < 0)) {
      throw new RangeError(`a queue bound must be a whole number of at least 0 (got ${maxQueued})`);
    }
  }

  load(): LimitLoad {
    return { running: this.#running, queued: this.#waiting.length, reserved: this.#reserved.size, limit: this.limit, maxQueued: this.maxQueued, started: this.#started, refused: { ...this.#refused } };
  }

  /** Whether nothing runs now (and so nothing waits either). */
  isIdle(): boolean {
    return this.#running === 0;
  }

  /**
   * Whether a task arriving now would run or wait (false: it would be refused, queue_full). The
   * bound is on all the work taken on: running, waiting and reserved together, at most `limit`
   * slots plus `maxQueued` places.
   */
  admits(): boolean {
    return this.#running + this.#waiting.length + this.#reserved.size < this.limit + this.maxQueued;
  }

  /**
   * Takes a place for work the caller will ask for soon, with `signal`: the run() with that
   * signal uses the place instead of being admitted again. For a request that has work to do
   * before it can hash (reading the stored hash): a flood is refused at the door, before that
   * work, instead of queueing on the database first. The place is given back when `signal`
   * aborts (the caller aborts it when its request ends, however it ends). Returns the refusal
   * (queue_full) when there is no place.
   */
  reserve(signal: AbortSignal): WorkRefused | undefined {
    if (signal.aborted) return this.#refuse(withdrawn(signal));
    if (!this.admits()) return this.#refuse('queue_full');
    this.#reserved.add(signal);
    signal.addEventListener('abort', () => this.#reserved.delete(signal) && this.#changed(), { once: true });
    this.#changed();
    return undefined;
  }

  /** Seconds until the tasks running and waiting now are done, at the mean duration seen; at least 1. */
  retryAfterSeconds(): number {
    const rounds = (this.#running + this.#waiting.length) / this.limit;
    return Math.max(1, Math.ceil((rounds * this.#meanMs) / 1000));
  }

  /** Calls `listener` after every change of the load; returns the function that stops it. */
  observe(listener: (load: LimitLoad) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs `task` once a slot is free; its slot is released however it ends (value, rejection or
   * throw). Rejects with WorkRefused, without running `task`, when the line is full or `signal`
   * aborts before the task starts (signal.reason SHUTTING_DOWN: shutting_down; any other: client_gone).
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    this.#started++;
    const started = performance.now();
    try {
      return await task();
    } finally {
      this.#meanMs = this.#meanMs === 0 ? performance.now() - started : this.#meanMs + DURATION_WEIGHT * (performance.now() - started - this.#meanMs);
      this.#release();
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<void> | undefined {
    if (signal?.aborted) return Promise.reject(this.#refuse(withdrawn(signal)));
    const reserved = signal !== undefined && this.#reserved.delete(signal);
    if (!reserved && !this.admits()) return Promise.reject(this.#refuse('queue_full'));
    if (this.#running < this.limit) {
      this.#running++;
      this.#changed();
      return undefined;
    }
    const turn = new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index < 0) return;
        this.#waiting.splice(index, 1);
        waiter.refuse(withdrawn(signal!));
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          // Checked again right before the task starts: nothing runs for a caller that has gone.
          if (signal?.aborted) {
            reject(this.#refuse(withdrawn(signal)));
            return false;
          }
          resolve();
          return true;
        },
        refuse: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(this.#refuse(reason));
          this.#changed();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
    this.#changed();
    return turn;
  }

  #release(): void {
    // The slot passes to the first in line still wanted (an aborted waiter normally left already).
    for (let next = this.#waiting.shift(); next; next = this.#waiting.shift()) {
      if (next.start()) return this.#changed();
    }
    this.#running--;
    this.#changed();
  }

  #refuse(reason: Refusal): WorkRefused {
    this.#refused[reason]++;
    return new WorkRefused(reason, this.retryAfterSeconds());
  }

  #changed(): void {
    if (this.#listeners.size === 0) return;
    const load = this.load();
    for (const listener of this.#listeners) listener(load);
  }
}

function withdrawn(signal: AbortSignal): Refusal {
  return signal.reason === SHUTTING_DOWN ? 'shutting_down' : 'client_gone';
}
