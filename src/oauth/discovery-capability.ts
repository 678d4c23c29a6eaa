import type { KeyRing } from '../keys/ring.js';

export interface DiscoveryContext {
  issuer: string;
  ring: KeyRing;
  /** REQUIRE_PAR: every client must push its authorization requests (RFC 9126 5). */
  requirePushedAuthorizationRequests: boolean;
}

export type DiscoveryMetadata = Record<string, string | boolean | readonly string[]>;

/** One feature's contribution to the discovery document. A feature that lands adds its own. */
export type DiscoveryCapability = (context: DiscoveryContext) => DiscoveryMetadata;
