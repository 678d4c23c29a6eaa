import type { FastifyReply } from 'fastify';
import type { Messages } from '../pages/messages/index.js';

/** What /account says after an action (?notice=): a fixed set of catalogue keys, so the query string cannot put words on the page. */
export type Notice = keyof Messages['notices'];

export function noticeFor(t: Messages, value: unknown): string | undefined {
  return typeof value === 'string' && Object.hasOwn(t.notices, value) ? t.notices[value as Notice] : undefined;
}

export function backToAccount(reply: FastifyReply, notice?: Notice): FastifyReply {
  return reply.redirect(notice ? `/account?notice=${notice}` : '/account', 303);
}
