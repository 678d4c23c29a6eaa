import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import { createSession, endSessionByCookie } from '../browser/session-store.js';
import { recordLoginForRequest, type PendingRequest } from '../oauth/authorize/request-store.js';
import type { StepContext } from './step.js';

/**
 * What a first factor does once it has identified the user: a fresh browser session (never
 * reusing an identifier the browser held before), recorded as the login made for this pending
 * request (it satisfies prompt=login and max_age: see the login step). Later steps (a second
 * factor, consent) are the loop's business, not the first factor's.
 */
export async function establishSession(context: StepContext, request: FastifyRequest, reply: FastifyReply, pending: PendingRequest, userId: string, now: Date) {
  const { deps, cookies, settings } = context;
  await endSessionByCookie(deps.db, cookies.readSession(request), now);
  const { cookieValue, session } = await createSession(deps.db, {
    userId,
    now,
    lifetimes: settings.sessionLifetimes,
    ip: request.ip,
    userAgent: request.headers['user-agent'],
  });
  await recordAudit(deps.db, request.log, {
    type: 'login_succeeded',
    userId,
    clientId: pending.request.clientId,
    ip: request.ip,
    details: { sessionId: session.id },
  });
  await recordLoginForRequest(deps.db, pending.id, session.id);
  cookies.setSession(reply, cookieValue, settings.sessionLifetimes.absoluteSeconds);
  return session;
}
