import type { FastifyReply, FastifyRequest } from 'fastify';
import { readParams, type Params } from '../http/params.js';
import { errorPage } from '../pages/error-page.js';
import { sendHtml } from '../pages/send-html.js';

/** What every step page shares: reading its form, its two refusals, and handing back to the loop. */

export function formParams(request: FastifyRequest): Params {
  try {
    return readParams(request.body);
  } catch {
    return {};
  }
}

export function expiredPage(reply: FastifyReply): FastifyReply {
  return sendHtml(reply, 400, errorPage('Sign-in expired', 'This sign-in request has expired or is unknown. Start again from the application.'));
}

/** The CSRF double-submit check failed. */
export function forbiddenPage(reply: FastifyReply): FastifyReply {
  return sendHtml(reply, 403, errorPage('Request refused', 'The form could not be verified. Reload the page and try again.'));
}

/** A step is done: the loop (GET /authorize/resume) decides what comes next. */
export function backToTheLoop(reply: FastifyReply, requestId: string): FastifyReply {
  return reply.redirect(`/authorize/resume?request_id=${requestId}`, 303);
}
