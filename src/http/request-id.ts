import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** Fastify's genReqId: a random UUID per request; a client's own x-request-id is never trusted. */
export function generateRequestId(): string {
  return randomUUID();
}

/** Echoes the request id in x-request-id, so a client can quote it and an operator find its log lines. */
export function installRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
}
