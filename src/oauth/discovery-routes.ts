import type { FastifyInstance } from 'fastify';
import type { KeyRing } from '../keys/ring.js';
import { allowCrossOriginRead } from '../http/cross-origin-read.js';
import { buildDiscoveryDocument } from './discovery.js';

export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

/** OIDC Discovery and RFC 8414 metadata: one document, served at both well-known paths. */
export function registerDiscoveryRoutes(app: FastifyInstance, issuer: string, ring: KeyRing, options: { requirePushedAuthorizationRequests: boolean }): void {
  for (const path of DISCOVERY_PATHS) {
    // Built per request (cheap): the signing algorithms follow the ring.
    app.get(path, async (request, reply) =>
      allowCrossOriginRead(request, reply).header('cache-control', 'public, max-age=300').send(buildDiscoveryDocument({ issuer, ring, ...options })),
    );
  }
}
