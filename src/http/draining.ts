import type { FastifyInstance } from 'fastify';

/** While shutting down, finish each response on a connection that then closes (draining). */
export function installDraining(app: FastifyInstance): void {
  let closing = false;
  // Synchronous: it runs on every response, and only ever does work during shutdown.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
}
