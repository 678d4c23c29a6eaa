import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, SHUTTING_DOWN, WorkRefused, type LimitLoad } from '../../src/users/concurrency-limit.js';

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

/** The load without the bounds and refusal counts (the tests below that need those read them). */
const counts = (limit: ConcurrencyLimit) => {
  const { running, queued, limit: slots } = limit.load();
  return { running, queued, limit: slots };
};

/** Lets every promise callback that is ready run (one turn of the event loop, no clock involved). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` tasks at once and queues the rest without starting them', async () => {
    const limit = new ConcurrencyLimit(2);
    expect(limit.isIdle()).toBe(true);
    const started: number[] = [];
    const gates = [0, 1, 2, 3, 4].map((id) => gatedTask(started, id));
    const runs = gates.map((gate) => limit.run(gate.task));
    await settle();
    expect(limit.isIdle()).toBe(false);
    expect(started).toEqual([0, 1]);
    expect(counts(limit)).toEqual({ running: 2, queued: 3, limit: 2 });

    gates[0]!.finish();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(counts(limit)).toEqual({ running: 2, queued: 2, limit: 2 });

    for (const gate of gates.slice(1)) gate.finish();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(counts(limit)).toEqual({ running: 0, queued: 0, limit: 2 });
    expect(limit.isIdle()).toBe(true);
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
    expect(counts(limit)).toEqual({ running: 1, queued: 0, limit: 1 });
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

  it.each([-1, 1.5, Number.NaN])('refuses a queue bound of %s', (value) => {
    expect(() => new ConcurrencyLimit(1, value)).toThrow(RangeError);
  });
});

/** The refusal a run rejects with (fails the test if it resolves). */
async function refusal(run: Promise<unknown>): Promise<WorkRefused> {
  const error: unknown = await run.then(
    () => new Error('expected a refusal, the task ran'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkRefused);
  return error as WorkRefused;
}

describe('ConcurrencyLimit with a bounded line', () => {
  it('refuses at once, without running it, a task that finds every slot busy and the line full', async () => {
    const limit = new ConcurrencyLimit(1, 2);
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map((id) => gatedTask(started, id));
    const runs = gates.slice(0, 3).map((gate) => limit.run(gate.task));
    await settle();
    expect(limit.admits()).toBe(false);
    expect(limit.reserve(new AbortController().signal)?.reason).toBe('queue_full');

    const refused = await refusal(limit.run(gates[3]!.task));
    expect(refused.reason).toBe('queue_full');
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(started).toEqual([0]);
    expect(limit.load().refused).toEqual({ queue_full: 2, client_gone: 0, shutting_down: 0 });

    // Once one leaves the line, a newcomer is admitted again.
    gates[0]!.finish();
    await settle();
    expect(limit.admits()).toBe(true);
    for (const gate of gates.slice(1, 3)) gate.finish();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(counts(limit)).toEqual({ running: 0, queued: 0, limit: 1 });
  });

  it('with a line of 0, runs what finds a free slot and refuses everything else', async () => {
    const limit = new ConcurrencyLimit(2, 0);
    const started: number[] = [];
    const gates = [0, 1, 2].map((id) => gatedTask(started, id));
    const running = [limit.run(gates[0]!.task), limit.run(gates[1]!.task)];
    expect((await refusal(limit.run(gates[2]!.task))).reason).toBe('queue_full');
    gates[0]!.finish();
    gates[1]!.finish();
    expect(await Promise.all(running)).toEqual([0, 1]);
    expect(started).toEqual([0, 1]);
  });

  it('drops a waiting task whose signal aborts: it leaves the line at once, never starts, and its place goes to the next', async () => {
    const limit = new ConcurrencyLimit(1, 2);
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map((id) => gatedTask(started, id));
    const first = limit.run(gates[0]!.task);
    const client = new AbortController();
    const abandoned = limit.run(gates[1]!.task, client.signal);
    const second = limit.run(gates[2]!.task);
    await settle();
    expect(limit.admits()).toBe(false);

    client.abort('client_gone');
    expect(limit.load().queued).toBe(1);
    expect((await refusal(abandoned)).reason).toBe('client_gone');
    const third = limit.run(gates[3]!.task); // the freed place in line

    for (const gate of [gates[0]!, gates[2]!, gates[3]!]) {
      gate.finish();
      await settle();
    }
    expect(await Promise.all([first, second, third])).toEqual([0, 2, 3]);
    expect(started).toEqual([0, 2, 3]);
    expect(limit.load().refused).toEqual({ queue_full: 0, client_gone: 1, shutting_down: 0 });
  });

  it('refuses, without queueing it, a task whose signal has already aborted, even with a slot free', async () => {
    const limit = new ConcurrencyLimit(1, 1);
    let ran = false;
    const refused = await refusal(limit.run(async () => (ran = true), AbortSignal.abort('client_gone')));
    expect(refused.reason).toBe('client_gone');
    expect(ran).toBe(false);
    expect(counts(limit)).toEqual({ running: 0, queued: 0, limit: 1 });
  });

  it('tells shutting_down from client_gone by the abort reason, and leaves running tasks alone', async () => {
    const limit = new ConcurrencyLimit(1, 4);
    const started: number[] = [];
    const gates = [0, 1].map((id) => gatedTask(started, id));
    const closing = new AbortController();
    const running = limit.run(gates[0]!.task, closing.signal);
    const queued = limit.run(gates[1]!.task, closing.signal);
    await settle();
    closing.abort(SHUTTING_DOWN);
    expect((await refusal(queued)).reason).toBe('shutting_down');
    // Started work is admitted work: it finishes.
    gates[0]!.finish();
    expect(await running).toBe(0);
    expect(started).toEqual([0]);
    expect(limit.load().refused.shutting_down).toBe(1);
  });

  it('forgets the abort listener of a task that started, so a later abort changes nothing', async () => {
    const limit = new ConcurrencyLimit(1, 1);
    const started: number[] = [];
    const gates = [0, 1].map((id) => gatedTask(started, id));
    const client = new AbortController();
    const first = limit.run(gates[0]!.task);
    const second = limit.run(gates[1]!.task, client.signal);
    gates[0]!.finish();
    await first;
    await settle();
    expect(started).toEqual([0, 1]);
    client.abort('client_gone');
    gates[1]!.finish();
    expect(await second).toBe(1);
    expect(limit.load().refused.client_gone).toBe(0);
  });

  it('asks for a Retry-After of at least a second, growing with the work ahead', async () => {
    const limit = new ConcurrencyLimit(1, 10_000);
    expect(limit.retryAfterSeconds()).toBe(1);
    // One task of known length sets the mean; then a long line asks for a longer wait.
    let release!: () => void;
    const timed = limit.run(() => new Promise<void>((resolve) => (release = resolve)));
    const waited = new Promise((resolve) => setTimeout(resolve, 30)); // the task's duration, not a synchronisation
    await waited;
    release();
    await timed;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const line = Array.from({ length: 200 }, () => limit.run(() => gate));
    expect(limit.retryAfterSeconds()).toBeGreaterThanOrEqual(Math.ceil((200 * 30) / 1000) - 1);
    open();
    await Promise.all(line);
  });

  it('holds a reserved place against the bound until the work with its signal uses it, or the signal aborts', async () => {
    const limit = new ConcurrencyLimit(1, 1);
    const started: number[] = [];
    const gates = [0, 1, 2].map((id) => gatedTask(started, id));
    const first = new AbortController();
    const second = new AbortController();
    expect(limit.reserve(first.signal)).toBeUndefined();
    expect(limit.reserve(second.signal)).toBeUndefined();
    expect(limit.load()).toMatchObject({ running: 0, queued: 0, reserved: 2 });
    // Both places are promised: work without a reservation is refused though the slot is free.
    expect((await refusal(limit.run(gates[2]!.task))).reason).toBe('queue_full');
    expect(limit.reserve(new AbortController().signal)?.reason).toBe('queue_full');

    // The reserved work is admitted without a second check: one runs, one waits.
    const runs = [limit.run(gates[0]!.task, first.signal), limit.run(gates[1]!.task, second.signal)];
    await settle();
    expect(limit.load()).toMatchObject({ running: 1, queued: 1, reserved: 0 });
    gates[0]!.finish();
    gates[1]!.finish();
    expect(await Promise.all(runs)).toEqual([0, 1]);

    // A reservation never used is given back when its signal aborts (the request answered).
    const unused = new AbortController();
    expect(limit.reserve(unused.signal)).toBeUndefined();
    expect(limit.load().reserved).toBe(1);
    unused.abort('answered');
    expect(limit.load().reserved).toBe(0);
    expect(limit.load().refused).toEqual({ queue_full: 2, client_gone: 0, shutting_down: 0 });
  });

  it('refuses a reservation for a signal that has already aborted, by its reason', () => {
    const limit = new ConcurrencyLimit(1, 1);
    expect(limit.reserve(AbortSignal.abort(SHUTTING_DOWN))?.reason).toBe('shutting_down');
    expect(limit.reserve(AbortSignal.abort('client_gone'))?.reason).toBe('client_gone');
    expect(limit.load().reserved).toBe(0);
  });
});
