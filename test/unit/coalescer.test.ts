import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../../src/db/coalescer.js';

/** A `run` the test finishes by hand: each call waits until the test resolves or rejects it. */
function controlledRun<In, Out>(answer: (batch: In[]) => Out[]) {
  const calls: { batch: In[]; finish(): void; fail(error: unknown): void }[] = [];
  const run = (batch: In[]) =>
    new Promise<Out[]>((resolve, reject) => {
      calls.push({ batch: [...batch], finish: () => resolve(answer(batch)), fail: reject });
    });
  return { run, calls };
}

/** Lets every pending promise callback run (no timer involved). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const doubled = (batch: number[]) => batch.map((n) => n * 2);

describe('createCoalescer', () => {
  it('runs an item submitted while idle at once, alone', () => {
    const { run, calls } = controlledRun(doubled);
    const coalescer = createCoalescer(run, { maxBatch: 10 });
    void coalescer.submit(1);
    // Synchronously: no timer, no tick in between.
    expect(calls.map((c) => c.batch)).toEqual([[1]]);
  });

  it('queues items while a batch is in flight and sends them together, in order, once it finishes', async () => {
    const { run, calls } = controlledRun(doubled);
    const coalescer = createCoalescer(run, { maxBatch: 10 });
    const first = coalescer.submit(1);
    const rest = [2, 3, 4, 5].map((n) => coalescer.submit(n));
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    expect(await first).toBe(2);
    expect(calls.map((c) => c.batch)).toEqual([[1], [2, 3, 4, 5]]);
    calls[1]!.finish();
    expect(await Promise.all(rest)).toEqual([4, 6, 8, 10]);
  });

  it('maps each result back to its own item', async () => {
    const coalescer = createCoalescer(async (batch: string[]) => batch.map((s) => s.toUpperCase()), { maxBatch: 3 });
    const words = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect(await Promise.all(words.map((w) => coalescer.submit(w)))).toEqual(words.map((w) => w.toUpperCase()));
  });

  it('splits a long queue into batches of at most maxBatch, in submission order', async () => {
    const { run, calls } = controlledRun(doubled);
    const coalescer = createCoalescer(run, { maxBatch: 3 });
    const results = Array.from({ length: 8 }, (_, i) => coalescer.submit(i));
    calls[0]!.finish();
    await flush();
    calls[1]!.finish();
    await flush();
    calls[2]!.finish();
    await flush();
    expect(calls.map((c) => c.batch)).toEqual([[0], [1, 2, 3], [4, 5, 6], [7]]);
    calls[3]!.finish();
    expect(await Promise.all(results)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  });

  it('keeps at most maxInFlight batches running', async () => {
    const { run, calls } = controlledRun(doubled);
    const coalescer = createCoalescer(run, { maxBatch: 10, maxInFlight: 2 });
    const results = [1, 2, 3, 4].map((n) => coalescer.submit(n));
    // Two batches go at once (one item each); the other two wait for one of them.
    expect(calls.map((c) => c.batch)).toEqual([[1], [2]]);
    calls[1]!.finish();
    await flush();
    expect(calls.map((c) => c.batch)).toEqual([[1], [2], [3, 4]]);
    calls[0]!.finish();
    calls[2]!.finish();
    expect(await Promise.all(results)).toEqual([2, 4, 6, 8]);
  });

  it('rejects every item of a failed batch with its error, only those, and the next batch still runs', async () => {
    const { run, calls } = controlledRun(doubled);
    const coalescer = createCoalescer(run, { maxBatch: 10 });
    const first = coalescer.submit(1);
    const failing = [2, 3].map((n) => coalescer.submit(n));
    calls[0]!.finish();
    expect(await first).toBe(2);
    const later = coalescer.submit(4);
    const boom = Object.assign(new Error('connection terminated'), { code: 'ECONNRESET' });
    calls[1]!.fail(boom);
    for (const item of failing) await expect(item).rejects.toBe(boom);
    await flush();
    expect(calls.map((c) => c.batch)).toEqual([[1], [2, 3], [4]]);
    calls[2]!.finish();
    expect(await later).toBe(8);
  });

  it('rejects a batch whose run throws synchronously, and one that answers the wrong number of results', async () => {
    const throwing = createCoalescer<number, number>(() => {
      throw new Error('sync');
    }, { maxBatch: 10 });
    await expect(throwing.submit(1)).rejects.toThrow('sync');
    const short = createCoalescer(async (batch: number[]) => batch.slice(1), { maxBatch: 10 });
    await expect(short.submit(1)).rejects.toThrow('0 results for a batch of 1');
    // Neither left anything stuck in flight.
    await throwing.settle();
    await short.settle();
  });

  it('settle waits for queued and running batches, including items submitted meanwhile', async () => {
    const { run, calls } = controlledRun(doubled);
    const coalescer = createCoalescer(run, { maxBatch: 10 });
    await coalescer.settle();
    void coalescer.submit(1);
    void coalescer.submit(2);
    let settled = false;
    const settling = coalescer.settle().then(() => (settled = true));
    calls[0]!.finish();
    await flush();
    expect(settled).toBe(false);
    void coalescer.submit(3);
    calls[1]!.finish();
    await flush();
    expect(settled).toBe(false);
    calls[2]!.finish();
    await settling;
    expect(calls.map((c) => c.batch)).toEqual([[1], [2], [3]]);
  });
});
