import type { FastifyReply } from 'fastify';
import { sendErrorPage } from './error-page.js';
import { pageUi } from './ui.js';

/** The 503 a browser endpoint answers when it cannot take the work now (the caller has set Retry-After). */
export function serviceUnavailablePage(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  return sendErrorPage(reply, 503, 'busy', { detail: `password work full; retry after ${retryAfterSeconds} s`, next: pageUi(reply.request).t.retryIn(retryAfterSeconds) });
}
