import type { FastifyInstance } from 'fastify';

/** While shutting down, finish each response on a connection that then closes (draining). */
export function installDraining(app: FastifyInstance): void {
  let closing = false;
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
}
