import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { serviceUnavailablePage } from '../pages/service-unavailable.js';
import { passwordHashing, PasswordWorkRefused } from '../users/password.js';

/** Whether the request comes from a browser page (a form post or a navigation asks for HTML). */
function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/**
 * The 503 for password work the gate refused (src/users/password.ts): a page for a browser,
 * RFC 6749's temporarily_unavailable in JSON for anything else, with Retry-After either way.
 * Nothing is logged above debug: under a flood this is the expected answer, counted in /metrics
 * (latchkey_password_work_refused_total).
 */
export function answerRefusedPasswordWork(request: FastifyRequest, reply: FastifyReply, refused: PasswordWorkRefused): FastifyReply {
  request.log.debug({ reason: refused.reason }, 'password work refused');
  reply.header('retry-after', String(refused.retryAfterSeconds));
  if (wantsHtml(request)) return serviceUnavailablePage(reply, refused.retryAfterSeconds);
  return reply.code(503).send({ error: 'temporarily_unavailable', error_description: `too many password checks in progress; retry in ${refused.retryAfterSeconds} s` });
}

/**
 * A route step that refuses a password submission before any other work (form parsing aside, no
 * database round trip) while the gate's line is full: under a flood, a refusal costs the least
 * it can. The gate itself still decides when the hash is asked for.
 */
export const refuseWhilePasswordLineFull = (async (request: FastifyRequest, reply: FastifyReply) => {
  const refused = passwordHashing().refuseUnlessAdmitted();
  if (refused) return answerRefusedPasswordWork(request, reply, refused);
}) as preHandlerHookHandler;
