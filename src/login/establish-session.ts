import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import { createSession, endSessionByCookie } from '../browser/session-store.js';
import { recordLoginForRequest, type PendingRequest } from '../oauth/authorize/request-store.js';
import type { StepContext } from './step.js';
import { withTransaction } from '../db/transaction.js';

/**
 * What a first factor does once it has identified the user: a fresh browser session (never
 * reusing an identifier the browser held before), recorded as the login made for this pending
 * request (it satisfies prompt=login and max_age: see the login step). `amr` says how (RFC 8176:
 * ['pwd'] for a password; a passwordless passkey brings its own). Later steps (a second factor,
 * consent) are the loop's business, not the first factor's.
 */
export async function establishSession(
  context: StepContext,
  request: FastifyRequest,
  reply: FastifyReply,
  pending: PendingRequest,
  user: { id: string; amr: string[] },
  now: Date,
) {
  const userId = user.id;
  const { deps, cookies, settings } = context;
  // The old session ends, the new one starts, the login is audited and tied to the pending
  // request: all or nothing.
  const { cookieValue, session } = await withTransaction(deps.db, async (trx) => {
    await endSessionByCookie(trx, cookies.readSession(request), now);
    const created = await createSession(trx, {
      userId,
      now,
      amr: user.amr,
      lifetimes: settings.sessionLifetimes,
      ip: request.ip,
      userAgent: request.headers['user-agent'],
    });
    await recordAudit(trx, request.log, {
      type: 'login_succeeded',
      userId,
      clientId: pending.request.clientId,
      ip: request.ip,
      details: { sessionId: created.session.id, amr: user.amr.join(' ') },
    });
    await recordLoginForRequest(trx, pending.id, created.session.id);
    return created;
  });
  cookies.setSession(reply, cookieValue, settings.sessionLifetimes.absoluteSeconds);
  return session;
}
