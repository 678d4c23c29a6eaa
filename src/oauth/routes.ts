import type { FastifyInstance } from 'fastify';
import { perMinuteLimiter } from '../http/rate-limits.js';
import type { OAuthDeps } from './deps.js';
import { registerUserinfoRoutes } from './userinfo.js';
import { corsForAnyClient, registerPreflights, registeredOrigins } from './cors.js';
import { clientEndpoints } from './client-endpoints.js';
import { tokenEndpointSettings } from './token/settings.js';
import type { DeviceSettings } from './device/settings.js';

/** The token endpoints (browser sign-in: login/routes.ts). Needs installRateLimiting() to have run. */
export async function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps, device: DeviceSettings): Promise<void> {
  const tokenLimiters = perMinuteLimiter(app, 'token-ip', deps.config.RATE_LIMIT_TOKEN, (request) => request.ip);
  const origins = registeredOrigins(deps.db, deps.clock);

  await app.register(clientEndpoints, { deps, settings: tokenEndpointSettings(deps.config), device, origins, tokenLimiters });
  // /userinfo is called from browsers too (bearer token, no client authentication).
  await app.register(async (userinfo) => {
    userinfo.addHook('onRequest', corsForAnyClient(origins));
    registerPreflights(userinfo, ['/userinfo'], origins);
    registerUserinfoRoutes(userinfo, deps);
  });
}
