import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../db/connect.js';

/** Liveness never touches the database; readiness does, with a short bound. */
export function registerHealthRoutes(app: FastifyInstance, database: Pick<DatabaseHandle, 'ping'>): void {
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const databaseUp = await database.ping(2000);
    reply.header('cache-control', 'no-store');
    if (!databaseUp) return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', database: 'unreachable' });
    return reply.send({ status: 'ready', database: 'ok' });
  });
}
