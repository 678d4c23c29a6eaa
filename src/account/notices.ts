import type { FastifyReply } from 'fastify';

/** What /account says after an action (?notice=): a fixed set, so the query string cannot put words on the page. */
export const NOTICES = {
  password_changed: 'Your password was changed. Every other browser and app signed in as you has been signed out.',
  totp_enabled: 'Your authenticator app is now on.',
  totp_removed: 'Your authenticator app was removed, with its recovery codes.',
  session_ended: 'The session was ended.',
} as const;

export type Notice = keyof typeof NOTICES;

export function noticeFor(value: unknown): string | undefined {
  return typeof value === 'string' && Object.hasOwn(NOTICES, value) ? NOTICES[value as Notice] : undefined;
}

export function backToAccount(reply: FastifyReply, notice?: Notice): FastifyReply {
  return reply.redirect(notice ? `/account?notice=${notice}` : '/account', 303);
}
