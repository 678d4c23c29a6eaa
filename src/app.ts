import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/connect.js';
import { loggerOptions } from './http/logger.js';
import { lazyChildLogger, levelEnabled } from './http/lazy-child-logger.js';
import { installErrorHandling } from './http/error-handler.js';
import { installSecurityHeaders, securityHeaderOptions, splitSecurityHeaders } from './http/security-headers.js';
import { FastPaths } from './http/fast-paths.js';
import { generateRequestId, installRequestIdHeader } from './http/request-id.js';
import { installDraining, waitForHandlers } from './http/draining.js';
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
import { httpStats } from './metrics/metrics.js';
import { tokenContext } from './tokens/context.js';
import { deriveSecret } from './keys/derived-secret.js';
import { registerSignInRoutes } from './login/routes.js';
import { registerAccountRoutes } from './account/routes.js';
import { installPages } from './pages/asset-routes.js';
import { signInSettings } from './login/settings.js';
import { deviceSettings } from './oauth/device/settings.js';
import { systemClock } from './clock.js';
import { ClientCache } from './clients/cache.js';
import { clientAssertionChecks } from './clients/assertion-context.js';
import { createAuditWriter } from './audit/group-writer.js';
import { revokedJtiLookup } from './tokens/revoked-jtis.js';
import { rotationBatcher } from './tokens/rotation-batcher.js';
import { dpopVerifier } from './dpop/verifier.js';
import { DpopNonces } from './dpop/nonce.js';
import { limitPasswordHashing, passwordHashing } from './users/password.js';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  /** The loaded signing-key ring (see keys/setup.ts). */
  keys: KeyRing;
  /** Time source for tokens; the system clock unless a test moves time. */
  clock?: Clock;
  /**
   * The client cache main.ts starts (and closes after the app). Without one (buildApp alone, in
   * contract tests) an unstarted cache stands in: it never listens, so every lookup reads the database.
   */
  clients?: ClientCache;
}

/** Bodies larger than this are refused with 413: no OAuth request comes close. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** The server options: logging, request ids, limits, proxies, shutdown. */
export function fastifyOptions(config: Config): FastifyServerOptions {
  return {
    logger: loggerOptions(config),
    genReqId: generateRequestId,
    childLoggerFactory: lazyChildLogger,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(config.TRUST_PROXY),
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  };
}

/**
 * What runs on every request whatever the route: the request id, draining, error rendering,
 * metrics and the security headers (bench/hooks.ts measures each on a bare route).
 */
export function installHttpHooks(app: FastifyInstance, deps: Pick<AppDeps, 'config' | 'database' | 'keys' | 'clock'> & { clients: ClientCache }, fastPaths?: FastPaths): void {
  installRequestIdHeader(app);
  installDraining(app);
  installErrorHandling(app);
  registerMetrics(app, { database: deps.database, keys: deps.keys, clock: deps.clock ?? systemClock, clients: deps.clients, passwordHashes: () => passwordHashing().load() });
  const securityHeaders = securityHeaderOptions(deps.config.ISSUER);
  installSecurityHeaders(app, securityHeaders);
  // What those hooks give every reply, for the answers made before the router (FastPaths).
  const { everyResponse } = splitSecurityHeaders(securityHeaders);
  fastPaths?.attach({
    closing: () => app.drainState.closing,
    logsEveryRequest: levelEnabled(app.log, 'info'),
    requestId: generateRequestId,
    everyResponse: Object.entries(everyResponse).flat(),
    record: (method, route, status, seconds) => httpStats.record(method, route, status, seconds),
  });
}

/** Builds the HTTP application. Does no I/O; the caller listens and closes. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const fastPaths = new FastPaths();
  const app = Fastify({ ...fastifyOptions(config), serverFactory: fastPaths.serverFactory });
  limitPasswordHashing(config.PASSWORD_HASH_CONCURRENCY, config.PASSWORD_HASH_QUEUE_SIZE);
  const clients = deps.clients ?? new ClientCache({ db: deps.database.db, reloadIntervalSeconds: 0 });
  installHttpHooks(app, { ...deps, clients }, fastPaths);
  await app.register(formbody);
  await app.register(cookie);

  registerHealthRoutes(app, deps.database);
  registerJwksRoute(app, deps.keys, config, fastPaths);
  registerDiscoveryRoutes(app, config.ISSUER, deps.keys, { requirePushedAuthorizationRequests: config.REQUIRE_PAR === 'true' });
  const clock = deps.clock ?? systemClock;
  await installRateLimiting(app, config.REDIS_URL, clock);
  const oauthDeps = {
    db: deps.database.db,
    clients,
    config,
    clock,
    tokens: tokenContext(deps.keys, config, clock),
    refreshSuccessorKey: deriveSecret(config.KEY_ENCRYPTION_KEY, 'refresh-successor'),
    audit: createAuditWriter(deps.database.db),
    revokedJtis: revokedJtiLookup(deps.database.db),
    rotations: rotationBatcher(deps.database.db),
    dpop: dpopVerifier(deps.database.db, clock, new DpopNonces(deriveSecret(config.KEY_ENCRYPTION_KEY, 'dpop-nonce')), {
      nonce: config.DPOP_NONCE,
      clockToleranceSeconds: config.CLOCK_TOLERANCE,
    }),
    clientAssertions: clientAssertionChecks(config, deps.database.db),
  };
  // onClose runs once the server has stopped taking requests; a handler whose client went away
  // may still wait on a batch, which must finish before main.ts closes the database.
  app.addHook('onClose', async () => {
    await Promise.all([oauthDeps.audit.settle(), oauthDeps.revokedJtis.settle(), oauthDeps.rotations.settle(), oauthDeps.dpop.settle()]);
  });
  const device = deviceSettings(config);
  installPages(app, config.branding);
  await registerOAuthRoutes(app, oauthDeps, device);
  const signIn = registerSignInRoutes(app, oauthDeps, signInSettings(config), device);
  registerAccountRoutes(app, signIn);
  await registerAdminRoutes(app, { ...oauthDeps, keys: deps.keys });
  // Last, so that it runs first on close (onClose hooks run last-in, first-out): handlers still
  // running finish before the batches above settle and before main.ts closes the database.
  waitForHandlers(app);
  return app;
}
