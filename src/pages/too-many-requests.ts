import type { FastifyReply } from 'fastify';
import { errorPage } from './error-page.js';
import { sendHtml } from './send-html.js';

/** The 429 a browser endpoint answers (the limiter has set Retry-After). */
export function tooManyRequestsPage(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  return sendHtml(reply, 429, errorPage('Too many requests', `Too many sign-in requests from your network. Try again in ${retryAfterSeconds} seconds.`));
}
