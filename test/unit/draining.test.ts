import Fastify from 'fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { installDraining, waitForHandlers, workSignal } from '../../src/http/draining.js';
import { SHUTTING_DOWN } from '../../src/users/password.js';

/** A promise and the function that settles it: an explicit barrier between the test and a handler. */
function barrier(): { reached: Promise<void>; pass: () => void } {
  let pass!: () => void;
  const reached = new Promise<void>((resolve) => {
    pass = resolve;
  });
  return { reached, pass };
}

describe('draining on shutdown', () => {
  it('closes the connection of a response finished after close() began, and only then', async () => {
    const app = Fastify();
    installDraining(app);
    const entered = barrier();
    const release = barrier();
    const closing = barrier();
    app.addHook('preClose', (done) => {
      closing.pass(); // runs after installDraining's own preClose hook
      done();
    });
    app.get('/slow', async () => {
      entered.pass();
      await release.reached;
      return { ok: true };
    });
    app.get('/fast', async () => ({ ok: true }));

    const before = await app.inject({ method: 'GET', url: '/fast' });
    expect(before.headers.connection).not.toBe('close');

    const inFlight = app.inject({ method: 'GET', url: '/slow' });
    await entered.reached;
    const closed = app.close();
    await closing.reached;
    release.pass();
    const response = await inFlight;
    await closed;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
  });

  it('resolves close() only after a handler whose client hung up has returned, and tells it the client left', async () => {
    const app = Fastify();
    installDraining(app);
    const entered = barrier();
    const release = barrier();
    const finished: string[] = [];
    let reason: unknown;
    const left = barrier();
    app.post('/work', async (_request, reply) => {
      const signal = workSignal(reply);
      signal.addEventListener('abort', () => {
        reason = signal.reason;
        left.pass();
      });
      entered.pass();
      await release.reached;
      finished.push('handler');
      return { ok: true };
    });
    waitForHandlers(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const request = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/work', headers: { 'content-type': 'application/json' } });
    request.on('error', () => undefined);
    request.end('{}');
    await entered.reached;
    request.destroy();
    await left.reached; // the server has seen the connection close
    const closed = app.close().then(() => finished.push('closed'));
    // The server has no connection left to wait for; only the handler holds the close back.
    await new Promise((resolve) => setImmediate(resolve));
    expect(finished).toEqual([]);
    release.pass();
    await closed;
    expect(finished).toEqual(['handler', 'closed']);
    expect(reason).toBe('client_gone');
  });

  it('aborts a work signal with SHUTTING_DOWN when close() begins, and with "answered" once the answer is out', async () => {
    const app = Fastify();
    installDraining(app);
    const entered = barrier();
    const release = barrier();
    const signals: AbortSignal[] = [];
    app.get('/quick', async (_request, reply) => {
      signals.push(workSignal(reply));
      expect(workSignal(reply)).toBe(signals.at(-1)); // one per request
      return { ok: true };
    });
    app.get('/slow', async (_request, reply) => {
      signals.push(workSignal(reply));
      entered.pass();
      await release.reached;
      return { ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/quick`).then((r) => r.text());
    expect(signals[0]!.reason).toBe('answered');

    const slow = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text());
    await entered.reached;
    const closed = app.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals[1]!.aborted).toBe(true);
    expect(signals[1]!.reason).toBe(SHUTTING_DOWN);
    release.pass();
    await slow;
    await closed;
  });
});
