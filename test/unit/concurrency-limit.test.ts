import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, type LimitLoad } from '../../src/users/concurrency-limit.js';

/** A task the test finishes by hand: it records when it started and settles on command. */
function gatedTask(started: number[], id: number) {
  let finish!: (value: number) => void;
  let fail!: (error: Error) => void;
  const result = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const task = () => {
    started.push(id);
    return result;
  };
  return { task, finish: () => finish(id), fail };
}

/** Lets every promise callback that is ready run (one turn of the event loop, no clock involved). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` tasks at once and queues the rest without starting them', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const gates = [0, 1, 2, 3, 4].map((id) => gatedTask(started, id));
    const runs = gates.map((gate) => limit.run(gate.task));
    await settle();
    expect(started).toEqual([0, 1]);
    expect(limit.load()).toEqual<LimitLoad>({ running: 2, queued: 3, limit: 2 });

    gates[0]!.finish();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(limit.load()).toEqual<LimitLoad>({ running: 2, queued: 2, limit: 2 });

    for (const gate of gates.slice(1)) gate.finish();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(limit.load()).toEqual<LimitLoad>({ running: 0, queued: 0, limit: 2 });
  });

  it('starts queued tasks in arrival order, and a newcomer waits behind them even when a slot just freed', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map((id) => gatedTask(started, id));
    const runs = gates.slice(0, 3).map((gate) => limit.run(gate.task));
    await settle();
    expect(started).toEqual([0]);

    // The slot passes to task 1 as task 0 finishes; task 3, asking in the same turn, queues after 2.
    gates[0]!.finish();
    runs.push(limit.run(gates[3]!.task));
    await settle();
    expect(started).toEqual([0, 1]);
    gates[1]!.finish();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    gates[2]!.finish();
    gates[3]!.finish();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('releases the slot of a task that rejects or throws, and passes the error to its caller', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: number[] = [];
    const rejecting = gatedTask(started, 0);
    const next = gatedTask(started, 1);
    const rejected = limit.run(rejecting.task);
    const thrown = limit.run(() => {
      throw new Error('thrown before any promise');
    });
    const after = limit.run(next.task);

    rejecting.fail(new Error('argon2 failed'));
    await expect(rejected).rejects.toThrow('argon2 failed');
    await expect(thrown).rejects.toThrow('thrown before any promise');
    await settle();
    expect(started).toEqual([0, 1]);
    expect(limit.load()).toEqual<LimitLoad>({ running: 1, queued: 0, limit: 1 });
    next.finish();
    expect(await after).toBe(1);
    expect(limit.load().running).toBe(0);
  });

  it('tells an observer every change of its load until it stops observing', async () => {
    const limit = new ConcurrencyLimit(1);
    const seen: LimitLoad[] = [];
    const stop = limit.observe((load) => seen.push(load));
    const started: number[] = [];
    const first = gatedTask(started, 0);
    const second = gatedTask(started, 1);
    const runs = [limit.run(first.task), limit.run(second.task)];
    first.finish();
    second.finish();
    await Promise.all(runs);
    expect(seen.map(({ running, queued }) => [running, queued])).toEqual([
      [1, 0], // first takes the slot
      [1, 1], // second queues
      [1, 0], // first hands its slot to second
      [0, 0], // second releases it
    ]);
    stop();
    await limit.run(async () => undefined);
    expect(seen).toHaveLength(4);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', (value) => {
    expect(() => new ConcurrencyLimit(value)).toThrow(RangeError);
  });
});
