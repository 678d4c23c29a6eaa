import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../db/connect.js';
import type { KeyRing } from '../keys/ring.js';
import type { Clock } from '../clock.js';
import { isGrantType } from '../clients/grant-types.js';
import type { ClientCache } from '../clients/cache.js';
import { addGaugeSources, type GaugeSources, httpStats, rateLimitRejections, registry, tokensIssued } from './metrics.js';

/**
 * GET /metrics (Prometheus text) and the hooks that feed it. Routes are labelled by their
 * pattern (never the raw URL, which would explode cardinality); unmatched paths count as "unmatched".
 */
export function registerMetrics(app: FastifyInstance, deps: { database: DatabaseHandle; keys: KeyRing; clock: Clock; clients: ClientCache; passwordHashes: GaugeSources['passwordHashes'] }): void {
  const removeSources = addGaugeSources({
    activeKeyAgeSeconds: () => {
      try {
        const active = deps.keys.publishedKey(deps.keys.signer().kid);
        return active ? Math.max(0, (deps.clock.now() - active.activatesAt) / 1000) : undefined;
      } catch {
        return undefined;
      }
    },
    poolStats: () => deps.database.poolStats?.(),
    clientCache: () => deps.clients.stats(),
    passwordHashes: deps.passwordHashes,
  });
  app.addHook('onClose', async () => {
    removeSources();
  });

  // Synchronous, and plain counting (HttpStats): it runs after every response.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    httpStats.record(request.method, route, status, reply.elapsedTime / 1000);
    if (status === 429) rateLimitRejections.inc({ route });
    if (route === '/token' && status === 200) {
      const grant = (request.body as Record<string, unknown> | undefined)?.grant_type;
      // Only registered grant types become labels (a 200 means the grant ran; any name is bounded by the registry).
      if (typeof grant === 'string' && isGrantType(grant)) tokensIssued.inc({ grant });
    }
    done();
  });

  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(await registry.metrics()),
  );
}
