import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { recordAudit } from '../audit/record.js';
import type { Client } from '../clients/store.js';
import { readParams, type Params } from '../http/params.js';
import type { BrowserCookies } from '../browser/cookies.js';
import { endSession, findOpenSessionByCookie } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import { sendErrorPage } from '../pages/error-page.js';
import { sendHtml } from '../pages/send-html.js';
import { pageUi } from '../pages/ui.js';
import { loggedOutPage, logoutCancelledPage, logoutConfirmationPage } from './logout-pages.js';
import { findUserById } from '../users/store.js';
import { ID_TOKEN_TYP } from '../tokens/id-token.js';
import { verifyToken } from '../tokens/verify.js';
import type { OAuthDeps } from './deps.js';
import { withTransaction } from '../db/transaction.js';

class LogoutRequestError extends Error {}

/**
 * Verifies an id_token_hint. Expired hints are accepted (logout commonly follows expiry): the
 * check runs as of the token's own iat, so signature, kid, alg, iss and aud are still enforced.
 */
async function verifyHint(deps: OAuthDeps, hint: string, clientId: string | undefined): Promise<{ clientId: string; sid?: string }> {
  let issuedAt: number;
  let audience: unknown;
  try {
    const claims = decodeJwt(hint);
    issuedAt = Number(claims.iat);
    audience = claims.aud;
  } catch {
    throw new LogoutRequestError('The id_token_hint is not a valid ID token.');
  }
  const aud = typeof audience === 'string' ? audience : Array.isArray(audience) && typeof audience[0] === 'string' ? audience[0] : undefined;
  if (!Number.isFinite(issuedAt) || !aud || (clientId !== undefined && clientId !== aud)) {
    throw new LogoutRequestError('The id_token_hint does not belong to this client.');
  }
  const asOfIssue = { ...deps.tokens, clock: { now: () => Math.min(issuedAt * 1000, deps.clock.now()) } };
  try {
    const { payload } = await verifyToken(asOfIssue, hint, { typ: ID_TOKEN_TYP, audience: aud });
    return { clientId: aud, sid: typeof payload.sid === 'string' ? payload.sid : undefined };
  } catch {
    throw new LogoutRequestError('The id_token_hint is not a valid ID token from this server.');
  }
}

function requirePostLogoutRedirect(client: Client | undefined, uri: string): string {
  if (!client || !client.postLogoutRedirectUris.includes(uri)) {
    throw new LogoutRequestError('The post_logout_redirect_uri is not registered for this application.');
  }
  return uri;
}

/** What the confirmation form asked for (POST only); undefined for a request from an application. */
function readDecision(request: FastifyRequest, params: Params): 'sign_out' | 'cancel' | undefined {
  if (request.method !== 'POST' || params.decision === undefined) return undefined;
  if (params.decision === 'sign_out' || params.decision === 'cancel') return params.decision;
  throw new LogoutRequestError('The sign-out form was not understood.');
}

/**
 * GET/POST /logout: OpenID Connect RP-Initiated Logout 1.0. Only the session this request's
 * cookie holds can end, and only when the application proves it is that session (an
 * id_token_hint whose sid is it) or the user confirms on our page (section 2: without such a
 * hint the OP asks the user, so a cross-site request cannot sign anyone out).
 */
async function logout(deps: OAuthDeps, cookies: BrowserCookies, source: unknown, request: FastifyRequest, reply: FastifyReply) {
  try {
    const params = readParams(source, (m) => new LogoutRequestError(m));
    const decision = readDecision(request, params);
    if (decision !== undefined && !cookies.csrfValid(request, params.csrf_token)) {
      return sendErrorPage(reply, 403, 'formExpired', { detail: 'CSRF token missing or not matching' });
    }
    const hint = params.id_token_hint ? await verifyHint(deps, params.id_token_hint, params.client_id) : undefined;
    const clientId = hint?.clientId ?? params.client_id;
    const client = clientId === undefined ? undefined : await deps.clients.find(clientId);
    if (clientId !== undefined && !client) throw new LogoutRequestError('The application is not registered with this server.');
    const redirect = params.post_logout_redirect_uri === undefined ? undefined : requirePostLogoutRedirect(client, params.post_logout_redirect_uri);
    if (decision === 'cancel') return sendHtml(reply, 200, logoutCancelledPage(pageUi(request)));

    const session = await findOpenSessionByCookie(deps.db, cookies.readSession(request));
    if (session && decision !== 'sign_out' && hint?.sid !== session.id) {
      const user = await findUserById(deps.db, session.userId);
      const body = logoutConfirmationPage(pageUi(request), {
        csrfToken: cookies.csrfToken(request, reply),
        username: user?.username,
        clientName: client?.name,
        clientId: client?.clientId,
        postLogoutRedirectUri: redirect,
        state: params.state,
      });
      return sendHtml(reply, 200, body, redirect);
    }
    if (session) {
      await withTransaction(deps.db, async (trx) => {
        await endSession(trx, session.id, nowDate(deps));
        await recordAudit(trx, request.log, { type: 'logout', userId: session.userId, clientId: clientId ?? null, ip: request.ip, details: { sessionId: session.id } });
      });
    }
    cookies.clearSession(reply);
    if (redirect) {
      const url = new URL(redirect);
      if (params.state !== undefined) url.searchParams.append('state', params.state);
      return reply.redirect(url.toString(), 303);
    }
    return sendHtml(reply, 200, loggedOutPage(pageUi(request)));
  } catch (error) {
    if (error instanceof LogoutRequestError) return sendErrorPage(reply, 400, 'signOutFailed', { detail: error.message });
    throw error;
  }
}

export function registerLogoutRoutes(app: FastifyInstance, deps: OAuthDeps, cookies: BrowserCookies): void {
  app.get('/logout', (request, reply) => logout(deps, cookies, request.query, request, reply));
  app.post('/logout', (request, reply) => logout(deps, cookies, request.body, request, reply));
}
