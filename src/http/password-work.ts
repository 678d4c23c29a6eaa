import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { serviceUnavailablePage } from '../pages/service-unavailable.js';
import { passwordHashing, PasswordWorkRefused } from '../users/password.js';
import { holdConnectionAfter } from './connection-hold.js';
import { workSignal } from './draining.js';

/** Whether the request comes from a browser page (a form post or a navigation asks for HTML). */
function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/**
 * The 503 for password work the gate refused (src/users/password.ts): a page for a browser,
 * RFC 6749's temporarily_unavailable in JSON for anything else, with Retry-After either way.
 * Nothing is logged above debug: under a flood this is the expected answer, counted in /metrics
 * (latchkey_password_work_refused_total). A full line also holds the connection until Retry-After
 * (connection-hold.ts), so a flood's refusals cannot take the event loop from everything else.
 */
export function answerRefusedPasswordWork(request: FastifyRequest, reply: FastifyReply, refused: PasswordWorkRefused): FastifyReply {
  request.log.debug({ reason: refused.reason }, 'password work refused');
  reply.header('retry-after', String(refused.retryAfterSeconds));
  // Not a trusted proxy's connection (request.ip then differs from the socket's peer): the proxy
  // sends other people's requests on it too, and they must not wait for this one's client.
  if (refused.reason === 'queue_full' && request.ip === request.socket.remoteAddress) holdConnectionAfter(reply.raw, refused.retryAfterSeconds);
  if (wantsHtml(request)) return serviceUnavailablePage(reply, refused.retryAfterSeconds);
  return reply.code(503).send({ error: 'temporarily_unavailable', error_description: `too many password checks in progress; retry in ${refused.retryAfterSeconds} s` });
}

/**
 * The first step of a route that checks a password: it takes the request's place in the password
 * gate's line (workSignal ties it to the request) before any other work, or answers 503 at once.
 * Under a flood a refusal then costs the least it can (no database round trip), and the requests
 * admitted are no more than the gate can serve in time, however long their database reads take:
 * without it, 400 logins would all queue on the database pool first, the gate's bound reached
 * only after that wait.
 */
export const reservePasswordWork = (async (request: FastifyRequest, reply: FastifyReply) => {
  const refused = passwordHashing().reserve(workSignal(reply));
  if (refused) return answerRefusedPasswordWork(request, reply, refused);
}) as preHandlerHookHandler;
