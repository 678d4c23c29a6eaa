import type { FastifyReply, FastifyRequest } from 'fastify';
import { readParams, type Params } from '../http/params.js';
import { sendErrorPage } from '../pages/error-page.js';

/** What every step page shares: reading its form, its two refusals, and handing back to the loop. */

export function formParams(request: FastifyRequest): Params {
  try {
    return readParams(request.body);
  } catch {
    return {};
  }
}

export function expiredPage(reply: FastifyReply): FastifyReply {
  return sendErrorPage(reply, 400, 'expired', { detail: 'sign-in request expired or unknown' });
}

/** The CSRF double-submit check failed. */
export function forbiddenPage(reply: FastifyReply): FastifyReply {
  return sendErrorPage(reply, 403, 'formExpired', { detail: 'CSRF token missing or not matching' });
}

/** A step is done: the loop (GET /authorize/resume) decides what comes next. */
export function backToTheLoop(reply: FastifyReply, requestId: string): FastifyReply {
  return reply.redirect(`/authorize/resume?request_id=${requestId}`, 303);
}

