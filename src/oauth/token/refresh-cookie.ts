import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../../clients/store.js';
import { cookiesAreSecure } from '../../browser/cookies.js';

/**
 * SPA cookie mode: the refresh token lives in an HttpOnly, SameSite=Strict cookie that only the
 * token and revoke endpoints receive. One cookie per path (a cookie has a single Path), with the
 * same value; one name per client so two SPAs on one issuer do not collide.
 */
export const REFRESH_COOKIE_PATHS = ['/token', '/revoke'] as const;

export function refreshCookieName(issuer: string, clientId: string): string {
  return `${cookiesAreSecure(issuer) ? '__Secure-' : ''}lk_rt_${clientId}`;
}

export function setRefreshCookie(reply: FastifyReply, issuer: string, client: Client, token: string, maxAgeSeconds: number): void {
  for (const path of REFRESH_COOKIE_PATHS) {
    reply.setCookie(refreshCookieName(issuer, client.clientId), token, {
      httpOnly: true,
      secure: cookiesAreSecure(issuer),
      sameSite: 'strict',
      path,
      maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
    });
  }
}

export function clearRefreshCookie(reply: FastifyReply, issuer: string, client: Client): void {
  for (const path of REFRESH_COOKIE_PATHS) {
    reply.clearCookie(refreshCookieName(issuer, client.clientId), { httpOnly: true, secure: cookiesAreSecure(issuer), sameSite: 'strict', path });
  }
}

export function readRefreshCookie(request: FastifyRequest, issuer: string, client: Client): string | undefined {
  return request.cookies[refreshCookieName(issuer, client.clientId)];
}
