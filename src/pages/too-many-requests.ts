import type { FastifyReply } from 'fastify';
import { sendErrorPage } from './error-page.js';
import { pageUi } from './ui.js';

/** The 429 a browser endpoint answers (the limiter has set Retry-After): when to try again, in words. */
export function tooManyRequestsPage(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  return sendErrorPage(reply, 429, 'tooManyRequests', { detail: `rate limit; retry after ${retryAfterSeconds} s`, next: pageUi(reply.request).t.retryIn(retryAfterSeconds) });
}
