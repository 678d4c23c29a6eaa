import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/connect.js';
import { loggerOptions } from './http/logger.js';
import { installErrorHandling } from './http/error-handler.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { registerHealthRoutes } from './health/routes.js';
import type { Clock } from './clock.js';
import type { KeyRing } from './keys/ring.js';
import { registerJwksRoute } from './keys/routes.js';
import { registerDiscoveryRoutes } from './oauth/discovery-routes.js';
import { installRateLimiting } from './http/rate-limits.js';
import { fastifyTrustProxy } from './http/trust-proxy.js';
import { registerOAuthRoutes } from './oauth/routes.js';
import { registerAdminRoutes } from './admin/routes.js';
import { registerMetrics } from './metrics/routes.js';
import { tokenContext } from './tokens/context.js';
import { deriveSecret } from './keys/derived-secret.js';
import { registerSignInRoutes } from './login/routes.js';
import { signInSettings } from './login/settings.js';
import { deviceSettings } from './oauth/device/settings.js';
import { systemClock } from './clock.js';
import { limitPasswordHashing, passwordHashing } from './users/password.js';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  /** The loaded signing-key ring (see keys/setup.ts). */
  keys: KeyRing;
  /** Time source for tokens; the system clock unless a test moves time. */
  clock?: Clock;
}

/** Bodies larger than this are refused with 413: no OAuth request comes close. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the HTTP application. Does no I/O; the caller listens and closes. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger: loggerOptions(config),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(config.TRUST_PROXY),
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // While shutting down, finish each response on a connection that then closes (draining).
  let closing = false;
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('preClose', async () => {
    closing = true;
  });

  installErrorHandling(app);
  limitPasswordHashing(config.PASSWORD_HASH_CONCURRENCY);
  registerMetrics(app, { database: deps.database, keys: deps.keys, clock: deps.clock ?? systemClock, passwordHashes: () => passwordHashing().load() });
  installSecurityHeaders(app, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"] },
    },
    hsts: config.ISSUER.startsWith('https:') ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-site' },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  });
  await app.register(formbody);
  await app.register(cookie);

  registerHealthRoutes(app, deps.database);
  registerJwksRoute(app, deps.keys, config);
  registerDiscoveryRoutes(app, config.ISSUER, deps.keys);
  await installRateLimiting(app, config.REDIS_URL);
  const clock = deps.clock ?? systemClock;
  const oauthDeps = {
    db: deps.database.db,
    config,
    clock,
    tokens: tokenContext(deps.keys, config, clock),
    refreshSuccessorKey: deriveSecret(config.KEY_ENCRYPTION_KEY, 'refresh-successor'),
  };
  const device = deviceSettings(config);
  await registerOAuthRoutes(app, oauthDeps, device);
  registerSignInRoutes(app, oauthDeps, signInSettings(config), device);
  await registerAdminRoutes(app, { ...oauthDeps, keys: deps.keys });
  return app;
}
