import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installDraining } from '../../src/http/draining.js';

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
});
