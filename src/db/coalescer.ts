/**
 * Group commit without a timer. `run` does one database round trip for a whole batch of items and
 * answers one result per item, in order. While nothing is in flight a submitted item starts a
 * batch at once, so an idle server adds no latency; while `maxInFlight` batches are running, new
 * items queue and leave together, up to `maxBatch` of them, as soon as a batch finishes. Under
 * load the batch size follows the round-trip time by itself: the slower the commit, the more
 * requests share the next one.
 *
 * An item only ever joins a batch that starts after it was submitted: a read that goes through
 * here sees everything committed before its caller submitted it, as a direct query would.
 */

export interface CoalescerOptions {
  /** Most items one batch carries; the rest wait for the next. */
  maxBatch: number;
  /** Batches running at once (each holds a pool connection while it runs); 1 by default. */
  maxInFlight?: number;
}

export interface Coalescer<In, Out> {
  /** Resolves with this item's result once its batch has run; rejects with the batch's error if it failed. */
  submit(item: In): Promise<Out>;
  /** Resolves once nothing is queued or running, including items submitted while it waits. */
  settle(): Promise<void>;
}

interface Pending<In, Out> {
  item: In;
  resolve(result: Out): void;
  reject(error: unknown): void;
}

export function createCoalescer<In, Out>(run: (batch: In[]) => Promise<Out[]>, options: CoalescerOptions): Coalescer<In, Out> {
  const maxBatch = Math.max(1, Math.floor(options.maxBatch));
  const maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? 1));
  const queue: Pending<In, Out>[] = [];
  let inFlight = 0;
  let settled: (() => void)[] = [];

  async function runBatch(batch: Pending<In, Out>[]): Promise<void> {
    try {
      const results = await run(batch.map((pending) => pending.item));
      if (results.length !== batch.length) throw new Error(`coalescer: ${results.length} results for a batch of ${batch.length}`);
      batch.forEach((pending, index) => pending.resolve(results[index] as Out));
    } catch (error) {
      // The batch is one statement: when it fails, it failed for every item in it, and only them.
      for (const pending of batch) pending.reject(error);
    } finally {
      inFlight--;
      startBatches();
      if (inFlight === 0 && queue.length === 0) {
        const waiters = settled;
        settled = [];
        for (const waiter of waiters) waiter();
      }
    }
  }

  function startBatches(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      inFlight++;
      void runBatch(queue.splice(0, maxBatch));
    }
  }

  return {
    submit(item) {
      return new Promise<Out>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        startBatches();
      });
    },
    settle() {
      if (inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => settled.push(resolve));
    },
  };
}
