import type { FastifyInstance } from 'fastify';
import { browserCookies } from '../login/cookies.js';
import { registerLoginRoutes } from '../login/routes.js';
import { perMinuteLimiter, submittedUsername } from '../http/rate-limits.js';
import { registerAuthorizeRoutes } from './authorize/route.js';
import type { OAuthDeps } from './deps.js';
import { tooManyRequestsPage } from '../login/too-many-requests.js';
import type { SignInSettings } from '../login/settings.js';
import { registerLogoutRoutes } from './logout.js';
import { registerUserinfoRoutes } from './userinfo.js';
import { corsHeaders, registerPreflights, registeredOrigins } from './cors.js';
import { clientEndpoints } from './client-endpoints.js';
import { tokenEndpointSettings } from './token/settings.js';

/** The browser sign-in and token endpoints. Needs installRateLimiting() to have run. */
export async function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps, signIn: SignInSettings): Promise<void> {
  const cookies = browserCookies(deps.config.ISSUER);
  const loginLimiters = [
    ...perMinuteLimiter(app, 'login-ip', deps.config.RATE_LIMIT_LOGIN, (request) => request.ip),
    ...perMinuteLimiter(app, 'login-user', deps.config.RATE_LIMIT_LOGIN, submittedUsername),
  ];
  const tokenLimiters = perMinuteLimiter(app, 'token-ip', deps.config.RATE_LIMIT_TOKEN, (request) => request.ip);
  // Every unauthenticated /authorize request parks a row until it expires: bound that per IP.
  const authorizeLimiters = perMinuteLimiter(app, 'authorize-ip', deps.config.RATE_LIMIT_AUTHORIZE, (request) => request.ip, tooManyRequestsPage);

  const origins = registeredOrigins(deps.db, deps.clock);

  registerAuthorizeRoutes(app, deps, cookies, { preHandler: authorizeLimiters });
  registerLoginRoutes(app, deps, cookies, { loginLimiters, signIn });
  await app.register(clientEndpoints, { deps, settings: tokenEndpointSettings(deps.config), origins, tokenLimiters });
  // /userinfo is called from browsers too (bearer token, no client authentication).
  await app.register(async (userinfo) => {
    userinfo.addHook('onRequest', corsHeaders(origins));
    registerPreflights(userinfo, ['/userinfo'], origins);
    registerUserinfoRoutes(userinfo, deps);
  });
  registerLogoutRoutes(app, deps, cookies);
}
