import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserCookies } from '../browser/cookies.js';
import { OAuthError } from '../http/oauth-error.js';
import type { Messages } from '../pages/messages/index.js';
import { pageUi } from '../pages/ui.js';
import { failureMessage, type PasskeyFailureReason } from '../passkeys/failure.js';

/**
 * What the passkey endpoints share: they answer passkeys.js's fetch calls with JSON (never a
 * page), take a JSON body, and check the same CSRF double-submit token as the forms.
 */

export interface PasskeyBody {
  csrf_token?: unknown;
  request_id?: unknown;
  name?: unknown;
  response?: unknown;
}

export function passkeyBody(request: FastifyRequest): PasskeyBody {
  const body = request.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as PasskeyBody) : {};
}

export function requireCsrf(cookies: BrowserCookies, request: FastifyRequest, body: PasskeyBody): void {
  const token = typeof body.csrf_token === 'string' ? body.csrf_token : undefined;
  if (!cookies.csrfValid(request, token)) throw new OAuthError('access_denied', passkeyText(request, 'formExpired'), 403);
}

/** A sentence for the page, in the person's language (the script shows a refusal's error_description). */
export function passkeyText(request: FastifyRequest, key: keyof Messages['passkeyErrors']): string {
  return pageUi(request).t.passkeyErrors[key];
}

/** A refused ceremony: 400 with a message the page shows; the precise reason is in the audit log. */
export function passkeyRefused(request: FastifyRequest, reason: PasskeyFailureReason): OAuthError {
  return new OAuthError('access_denied', passkeyText(request, failureMessage(reason)), 400);
}

export function sendJson(reply: FastifyReply, body: object): FastifyReply {
  return reply.header('cache-control', 'no-store').send(body);
}
