import type { FastifyReply } from 'fastify';

/** Documents every relying party may fetch, including browser-based ones on other origins. */
export function allowCrossOriginRead(reply: FastifyReply): FastifyReply {
  return reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin');
}
