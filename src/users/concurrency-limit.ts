/** How many tasks a limit runs now and how many wait for a slot. */
export interface LimitLoad {
  running: number;
  queued: number;
  limit: number;
}

/**
 * Runs at most `limit` tasks at once; the others wait in arrival order. A waiting task has not
 * started, so it holds nothing but its place in the line (for argon2: no memory block yet). A
 * finishing task hands its slot straight to the first in line, so a newcomer cannot overtake.
 */
export class ConcurrencyLimit {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #listeners = new Set<(load: LimitLoad) => void>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a concurrency limit must be a whole number of at least 1 (got ${limit})`);
  }

  load(): LimitLoad {
    return { running: this.#running, queued: this.#waiting.length, limit: this.limit };
  }

  /** Calls `listener` after every change of the load; returns the function that stops it. */
  observe(listener: (load: LimitLoad) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs `task` once a slot is free; its slot is released however it ends (value, rejection or throw). */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> | undefined {
    if (this.#running < this.limit) {
      this.#running++;
      this.#changed();
      return undefined;
    }
    const turn = new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#changed();
    return turn;
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
    this.#changed();
  }

  #changed(): void {
    if (this.#listeners.size === 0) return;
    const load = this.load();
    for (const listener of this.#listeners) listener(load);
  }
}
