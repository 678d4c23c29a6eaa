import type { FastifyInstance } from 'fastify';
import { perMinuteLimiter } from '../http/rate-limits.js';
import type { OAuthDeps } from './deps.js';
import { registerTokenRoute } from './token/route.js';
import { registerUserinfoRoutes } from './userinfo.js';
import { registerCors } from './cors.js';
import { registerIntrospectRoute } from './introspect.js';
import { registerRevokeRoute } from './revoke.js';

/** The token endpoints (browser sign-in: login/routes.ts). Needs installRateLimiting() to have run. */
export function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  const tokenLimiters = perMinuteLimiter(app, 'token-ip', deps.config.RATE_LIMIT_TOKEN, (request) => request.ip);

  registerCors(app, deps.db);
  registerTokenRoute(app, deps, { preHandler: tokenLimiters });
  registerRevokeRoute(app, deps, { preHandler: tokenLimiters });
  registerIntrospectRoute(app, deps);
  registerUserinfoRoutes(app, deps);
}
