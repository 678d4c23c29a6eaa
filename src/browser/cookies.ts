import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';
import { isLoopbackHost } from '../config.js';

/** Cookies are Secure unless the issuer itself is plain-http loopback (local development). */
export function cookiesAreSecure(issuer: string): boolean {
  const url = new URL(issuer);
  return !(url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** Secure cookies take the __Host- prefix: no Domain, Path=/, Secure, enforced by the browser. */
function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

/** A device cookie outlives sessions: it stands for "this browser signed in as this user before". */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 3600;

export interface BrowserCookies {
  sessionName: string;
  csrfName: string;
  setSession(reply: FastifyReply, value: string, maxAgeSeconds: number): void;
  clearSession(reply: FastifyReply): void;
  readSession(request: FastifyRequest): string | undefined;
  /** The device cookie (login/device-token.ts), set on every successful sign-in. */
  setDevice(reply: FastifyReply, value: string): void;
  readDevice(request: FastifyRequest): string | undefined;
  /** The CSRF token for this browser, set as a cookie when it has none yet. */
  csrfToken(request: FastifyRequest, reply: FastifyReply): string;
  /** Double-submit check: the form field must equal the cookie. */
  csrfValid(request: FastifyRequest, submitted: string | undefined): boolean;
}

export function browserCookies(issuer: string): BrowserCookies {
  const secure = cookiesAreSecure(issuer);
  const sessionName = cookieName('lk_session', secure);
  const csrfName = cookieName('lk_csrf', secure);
  const deviceName = cookieName('lk_device', secure);
  const base: CookieSerializeOptions = { httpOnly: true, secure, sameSite: 'lax', path: '/' };
  return {
    sessionName,
    csrfName,
    setSession: (reply, value, maxAgeSeconds) => void reply.setCookie(sessionName, value, { ...base, maxAge: maxAgeSeconds }),
    clearSession: (reply) => void reply.clearCookie(sessionName, base),
    readSession: (request) => request.cookies[sessionName],
    setDevice: (reply, value) => void reply.setCookie(deviceName, value, { ...base, maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS }),
    readDevice: (request) => request.cookies[deviceName],
    csrfToken(request, reply) {
      const existing = request.cookies[csrfName];
      if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
      const token = randomBytes(32).toString('base64url');
      reply.setCookie(csrfName, token, base);
      return token;
    },
    csrfValid(request, submitted) {
      const cookie = request.cookies[csrfName];
      if (!cookie || !submitted || cookie.length !== submitted.length) return false;
      return timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted));
    },
  };
}
