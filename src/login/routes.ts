import type { FastifyInstance } from 'fastify';
import { browserCookies } from '../browser/cookies.js';
import { perMinuteLimiter, submittedUsername } from '../http/rate-limits.js';
import { registerAuthorizeRoutes } from '../oauth/authorize/route.js';
import type { OAuthDeps } from '../oauth/deps.js';
import { registerDeviceEntryRoutes } from '../oauth/device/entry-routes.js';
import type { DeviceSettings } from '../oauth/device/settings.js';
import { registerLogoutRoutes } from '../oauth/logout.js';
import { tooManyRequestsPage } from '../pages/too-many-requests.js';
import { registerPasskeyAssetRoutes } from '../passkeys/asset-routes.js';
import { registerPasskeySecondFactorRoutes, registerPasskeySignInRoutes } from './passkey-sign-in.js';
import type { SignInSettings } from './settings.js';
import type { StepContext } from './step.js';
import { SIGN_IN_STEPS } from './steps.js';

/**
 * Browser sign-in: /authorize and its loop over the registered steps, each step's page, the
 * device flow's code entry (/device, RFC 8628) and /logout. Needs installRateLimiting() to have run.
 * Returns the steps' context, which /account (account/routes.ts) shares.
 */
export function registerSignInRoutes(app: FastifyInstance, deps: OAuthDeps, settings: SignInSettings, device: DeviceSettings): StepContext {
  const cookies = browserCookies(settings.issuer);
  const { loginPerMinute, authorizePerMinute } = settings.rateLimits;
  const context: StepContext = {
    deps,
    cookies,
    settings,
    prompts: SIGN_IN_STEPS,
    sessionLifetimes: settings.sessionLifetimes,
    requirePar: settings.requirePar,
    secretFormLimiters: [
      ...perMinuteLimiter(app, 'login-ip', loginPerMinute, (request) => request.ip, tooManyRequestsPage),
      ...perMinuteLimiter(app, 'login-user', loginPerMinute, submittedUsername, tooManyRequestsPage),
    ],
  };
  // Every unauthenticated /authorize request parks a row until it expires: bound that per IP.
  const authorizeLimiters = perMinuteLimiter(app, 'authorize-ip', authorizePerMinute, (request) => request.ip, tooManyRequestsPage);

  registerAuthorizeRoutes(app, context, { preHandler: authorizeLimiters });
  registerPasskeyAssetRoutes(app);
  for (const step of SIGN_IN_STEPS) step.registerPage(app, context);
  registerPasskeySignInRoutes(app, context);
  registerPasskeySecondFactorRoutes(app, context);
  registerDeviceEntryRoutes(app, context, device);
  registerLogoutRoutes(app, deps, cookies);
  return context;
}
