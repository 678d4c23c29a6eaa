import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SHUTTING_DOWN } from '../users/password.js';

/** What one app knows about the requests it still owes work to (see installDraining). */
interface DrainState {
  closing: boolean;
  /** Requests whose handler has not answered yet, whether or not their client is still there. */
  readonly inFlight: Set<FastifyRequest>;
  /** Resolves waitForHandlers() once inFlight empties. */
  idle?: () => void;
  /** One controller per request that asked for a signal and has not ended. */
  readonly wanted: Set<AbortController>;
}

declare module 'fastify' {
  interface FastifyInstance {
    drainState: DrainState;
  }
}

/**
 * Shutdown, in order (main.ts closes the database only after app.close() resolves):
 * 1. preClose: every response from now on closes its connection, and queued work of this app
 *    that asked for a signal (workSignal) is withdrawn, so its request is answered 503 at once;
 * 2. fastify stops listening and waits for the connections still open (admitted work finishes);
 * 3. onClose (waitForHandlers, registered last so it runs first): waits for every handler still
 *    running, including those whose client hung up (they have no connection to wait for, and
 *    would otherwise write to a closed pool), before the app's other onClose hooks settle batches.
 */
export function installDraining(app: FastifyInstance): void {
  const state: DrainState = { closing: false, inFlight: new Set(), wanted: new Set() };
  app.decorate('drainState', state);
  // Synchronous: they run on every request, and only do bookkeeping.
  app.addHook('onRequest', (request, _reply, done) => {
    state.inFlight.add(request);
    done();
  });
  const answered = (request: FastifyRequest) => {
    if (state.inFlight.delete(request) && state.inFlight.size === 0) state.idle?.();
  };
  app.addHook('onSend', (request, reply, payload, done) => {
    if (state.closing) reply.header('connection', 'close');
    answered(request);
    done(null, payload);
  });
  app.addHook('onResponse', (request, _reply, done) => {
    answered(request);
    done();
  });
  app.addHook('preClose', (done) => {
    state.closing = true;
    for (const controller of state.wanted) controller.abort(SHUTTING_DOWN);
    state.wanted.clear();
    done();
  });
}

/** Call after every other onClose hook is registered: fastify runs onClose hooks last-in, first-out. */
export function waitForHandlers(app: FastifyInstance): void {
  const state = app.drainState;
  app.addHook('onClose', async () => {
    if (state.inFlight.size === 0) return;
    await new Promise<void>((resolve) => (state.idle = resolve));
  });
}

/** One signal per response, however many times a request asks. */
const signals = new WeakMap<FastifyReply, AbortSignal>();

/**
 * A signal for work a request is waiting to start (argon2 in the password gate): it aborts when
 * the client hangs up before its answer (reason "client_gone"), when the server begins to close
 * (SHUTTING_DOWN), and, with reason "answered", once the answer is out (places the request held
 * for work it never asked for are given back then). Work that has started is not stopped by it.
 */
export function workSignal(reply: FastifyReply): AbortSignal {
  const known = signals.get(reply);
  if (known) return known;
  const state = reply.server.drainState;
  const controller = new AbortController();
  const response = reply.raw;
  if (state.closing) controller.abort(SHUTTING_DOWN);
  else if (response.destroyed) controller.abort('client_gone');
  else {
    state.wanted.add(controller);
    response.once('close', () => {
      state.wanted.delete(controller);
      controller.abort(response.writableEnded ? 'answered' : 'client_gone');
    });
  }
  signals.set(reply, controller.signal);
  return controller.signal;
}
