import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookiesAreSecure } from '../browser/cookies.js';
import { CHALLENGE_TTL_SECONDS } from './challenge-store.js';

/**
 * The cookie that binds a WebAuthn challenge to the browser that asked for it: a random value
 * whose hash keys the server-side record (challenge-store.ts). A challenge (and an assertion
 * over it) taken to another browser is worthless there. SameSite=Strict: the ceremonies are
 * same-origin fetches.
 */
export interface ChallengeCookie {
  /** A fresh value, set on the reply; the caller stores the challenge under it. */
  issue(reply: FastifyReply): string;
  read(request: FastifyRequest): string | undefined;
  clear(reply: FastifyReply): void;
}

export function challengeCookie(issuer: string): ChallengeCookie {
  const secure = cookiesAreSecure(issuer);
  const name = secure ? '__Host-lk_webauthn' : 'lk_webauthn';
  const options = { httpOnly: true, secure, sameSite: 'strict' as const, path: '/' };
  return {
    issue(reply) {
      const value = randomBytes(32).toString('base64url');
      reply.setCookie(name, value, { ...options, maxAge: CHALLENGE_TTL_SECONDS });
      return value;
    },
    read: (request) => request.cookies[name],
    clear: (reply) => void reply.clearCookie(name, options),
  };
}
