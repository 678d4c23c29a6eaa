import type { FastifyReply } from 'fastify';
import { errorPage } from './error-page.js';
import { sendHtml } from './send-html.js';

/** The 503 a browser endpoint answers when it cannot take the work now (the caller has set Retry-After). */
export function serviceUnavailablePage(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  const wait = retryAfterSeconds === 1 ? 'a second' : `${retryAfterSeconds} seconds`;
  return sendHtml(reply, 503, errorPage('Busy right now', `The server is busy checking other passwords right now. Please wait ${wait}.`));
}
