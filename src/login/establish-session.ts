import type { FastifyReply, FastifyRequest } from 'fastify';
import { logAudit } from '../audit/record.js';
import type { ActiveSession } from '../browser/session-store.js';
import type { PendingRequest } from '../oauth/authorize/request-store.js';
import { startSession, type Admission } from './session-start-store.js';
import type { StepContext } from './step.js';

/**
 * What a first factor does once it has identified the user: a fresh browser session (never
 * reusing an identifier the browser held before), recorded as the login made for this pending
 * request (it satisfies prompt=login and max_age: see the login step). `amr` says how (RFC 8176:
 * ['pwd'] for a password; a passwordless passkey brings its own). `admission` is what the user's
 * row must allow first (session-start-store.ts); undefined when it refused (the account is
 * locked or disabled right now): then nothing was written and no cookie set. Later steps (a
 * second factor, consent) are the loop's business, not the first factor's.
 */
export async function establishSession(
  context: StepContext,
  request: FastifyRequest,
  reply: FastifyReply,
  pending: PendingRequest,
  user: { id: string; amr: string[] },
  now: Date,
  admission: Admission = 'none',
): Promise<ActiveSession | undefined> {
  const { deps, cookies, settings } = context;
  const started = await startSession(deps.db, {
    userId: user.id,
    amr: user.amr,
    now,
    lifetimes: settings.sessionLifetimes,
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    previousCookie: cookies.readSession(request),
    pendingId: pending.id,
    clientId: pending.request.clientId,
    admission,
  });
  if (!started) return undefined;
  // The statement has committed: the log line may now report it.
  logAudit(request.log, {
    type: 'login_succeeded',
    userId: user.id,
    clientId: pending.request.clientId,
    ip: request.ip,
    details: { sessionId: started.sessionId, amr: user.amr.join(' ') },
  });
  cookies.setSession(reply, started.cookieValue, settings.sessionLifetimes.absoluteSeconds);
  return { id: started.sessionId, userId: user.id, authTime: now, amr: user.amr };
}
