import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { OAuthError } from './oauth-error.js';
import { usernameKey } from '../users/username.js';
import { OutageLog } from './outage-log.js';

/**
 * Registers @fastify/rate-limit without a global limit; routes opt in through the limiters
 * below. Counters live in process memory, or in Redis when REDIS_URL is set so that every
 * instance counts together. If Redis fails, requests pass (skipOnError): an outage of the
 * limiter's store must not become an outage of the issuer.
 */
export async function installRateLimiting(app: FastifyInstance, redisUrl: string | undefined, clock: { now(): number }): Promise<void> {
  let redis: Redis | undefined;
  if (redisUrl) {
    // Loaded only when configured: ioredis holds about 2 MB of V8 heap (issue 12's memory bound).
    const { Redis } = await import('ioredis');
    redis = new Redis(redisUrl, { connectTimeout: 1000, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    // ioredis reports every reconnection attempt (several a second): one line per outage, a reminder a minute.
    const outage = new OutageLog({
      what: `rate-limit store (Redis) at ${redisAddress(redisUrl)}`,
      consequence: 'rate limits are not enforced until it is back',
      log: app.log,
      clock,
    });
    redis.on('error', (error: Error) => outage.failed(error.message));
    redis.on('ready', () => outage.recovered());
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });
  }
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: 'latchkey-rl:', skipOnError: true } : {}),
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl),
  });
}

/** host:port of a Redis URL, never its password. */
export function redisAddress(redisUrl: string): string {
  const url = new URL(redisUrl);
  return `${url.hostname || 'localhost'}:${url.port || '6379'}`;
}

function retryAfterSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

function tooManyRequests(ttlMs: number): OAuthError {
  const seconds = retryAfterSeconds(ttlMs);
  return new OAuthError('too_many_requests', `too many requests; retry in ${seconds} s`, 429, { 'retry-after': String(seconds) });
}

/** Answers a request over the limit itself (a browser endpoint's HTML page); the default is the JSON error. */
export type LimitedResponder = (reply: FastifyReply, retryAfterSeconds: number) => FastifyReply;

/**
 * A per-minute limiter keyed by `key(request)`; none at all when perMinute is 0. Built on
 * createRateLimit because the plugin's own hook runs only one limiter per request, and a route
 * may stack several (per IP and per username).
 */
export function perMinuteLimiter(
  app: FastifyInstance,
  name: string,
  perMinute: number,
  key: (request: FastifyRequest) => string,
  respond?: LimitedResponder,
): preHandlerHookHandler[] {
  if (perMinute <= 0) return [];
  const check = app.createRateLimit({ max: perMinute, timeWindow: 60_000, keyGenerator: (request) => `${name}:${key(request)}` });
  const limiter = async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await check(request);
    if (result.isAllowed || !result.isExceeded) return;
    if (!respond) throw tooManyRequests(result.ttl);
    return respond(reply.header('retry-after', String(retryAfterSeconds(result.ttl))), retryAfterSeconds(result.ttl));
  };
  return [limiter as preHandlerHookHandler];
}

/**
 * The username a login form names, as login looks it up (users/username.ts): every spelling that
 * reaches one account shares one budget. A name no account can have is counted apart by its text.
 */
export function submittedUsername(request: FastifyRequest): string {
  const body = request.body as Record<string, unknown> | undefined;
  const username = body && typeof body.username === 'string' ? body.username.slice(0, 256) : '';
  return usernameKey(username) ?? `invalid:${username.trim().toLowerCase()}`;
}
