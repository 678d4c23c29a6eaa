import type { FastifyInstance } from 'fastify';
import { browserCookies } from '../browser/cookies.js';
import { registerLoginRoutes } from '../login/routes.js';
import { perMinuteLimiter, submittedUsername } from '../http/rate-limits.js';
import { registerAuthorizeRoutes } from './authorize/route.js';
import type { OAuthDeps } from './deps.js';
import { tooManyRequestsPage } from '../pages/too-many-requests.js';
import type { SignInSettings } from '../login/settings.js';
import { registerLogoutRoutes } from './logout.js';
import { registerTokenRoute } from './token/route.js';
import { registerUserinfoRoutes } from './userinfo.js';
import { registerCors } from './cors.js';
import { registerIntrospectRoute } from './introspect.js';
import { registerRevokeRoute } from './revoke.js';

/** The browser sign-in and token endpoints. Needs installRateLimiting() to have run. */
export function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps, signIn: SignInSettings): void {
  const cookies = browserCookies(deps.config.ISSUER);
  const loginLimiters = [
    ...perMinuteLimiter(app, 'login-ip', deps.config.RATE_LIMIT_LOGIN, (request) => request.ip),
    ...perMinuteLimiter(app, 'login-user', deps.config.RATE_LIMIT_LOGIN, submittedUsername),
  ];
  const tokenLimiters = perMinuteLimiter(app, 'token-ip', deps.config.RATE_LIMIT_TOKEN, (request) => request.ip);
  // Every unauthenticated /authorize request parks a row until it expires: bound that per IP.
  const authorizeLimiters = perMinuteLimiter(app, 'authorize-ip', deps.config.RATE_LIMIT_AUTHORIZE, (request) => request.ip, tooManyRequestsPage);

  registerCors(app, deps.db);
  registerAuthorizeRoutes(app, deps, cookies, { preHandler: authorizeLimiters });
  registerLoginRoutes(app, deps, cookies, { loginLimiters, signIn });
  registerTokenRoute(app, deps, { preHandler: tokenLimiters });
  registerRevokeRoute(app, deps, { preHandler: tokenLimiters });
  registerIntrospectRoute(app, deps);
  registerUserinfoRoutes(app, deps);
  registerLogoutRoutes(app, deps, cookies);
}
