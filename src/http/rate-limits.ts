import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { OAuthError } from './oauth-error.js';

/**
 * Registers @fastify/rate-limit without a global limit; routes opt in through the limiters
 * below. Counters live in process memory (a shared Redis store is the production-readiness work).
 */
export async function installRateLimiting(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl),
  });
}

function tooManyRequests(ttlMs: number): OAuthError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new OAuthError('too_many_requests', `too many requests; retry in ${seconds} s`, 429, { 'retry-after': String(seconds) });
}

/**
 * A per-minute limiter keyed by `key(request)`; none at all when perMinute is 0. Built on
 * createRateLimit because the plugin's own hook runs only one limiter per request, and a route
 * may stack several (per IP and per username).
 */
export function perMinuteLimiter(app: FastifyInstance, name: string, perMinute: number, key: (request: FastifyRequest) => string): preHandlerHookHandler[] {
  if (perMinute <= 0) return [];
  const check = app.createRateLimit({ max: perMinute, timeWindow: 60_000, keyGenerator: (request) => `${name}:${key(request)}` });
  const limiter = async (request: FastifyRequest) => {
    const result = await check(request);
    if (!result.isAllowed && result.isExceeded) throw tooManyRequests(result.ttl);
  };
  return [limiter as preHandlerHookHandler];
}

/** The username a login form names, normalised as the user store compares it. */
export function submittedUsername(request: FastifyRequest): string {
  const body = request.body as Record<string, unknown> | undefined;
  const username = body && typeof body.username === 'string' ? body.username : '';
  return username.trim().toLowerCase().slice(0, 256);
}
