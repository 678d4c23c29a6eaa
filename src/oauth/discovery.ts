import { DEFAULT_SCOPES } from '../clients/schema.js';
import { ASSURANCE_LEVELS } from '../users/assurance.js';
import { DPOP_SIGNING_ALGS } from '../dpop/proof.js';
import { deviceDiscoveryCapability } from './device/discovery.js';
import { parDiscoveryCapability } from './par/discovery.js';
import { signInCapability } from './sign-in-discovery.js';
import type { DiscoveryCapability, DiscoveryContext, DiscoveryMetadata } from './discovery-capability.js';

export type { DiscoveryCapability, DiscoveryContext, DiscoveryMetadata } from './discovery-capability.js';

const issuerAndKeys: DiscoveryCapability = ({ issuer }) => ({
  issuer,
  jwks_uri: `${issuer}/.well-known/jwks.json`,
});

const signedTokens: DiscoveryCapability = ({ ring }) => ({
  id_token_signing_alg_values_supported: ring.publishedAlgorithms(),
  subject_types_supported: ['public'],
  // The claims src/tokens/id-token.ts sets; the user-claim features add theirs.
  claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid'],
  scopes_supported: DEFAULT_SCOPES,
});

const pkce: DiscoveryCapability = () => ({ code_challenge_methods_supported: ['S256'] });

/** Authentication levels (users/assurance.ts): acr_values at /authorize, acr and amr in ID tokens. */
const assuranceLevels: DiscoveryCapability = () => ({
  acr_values_supported: ASSURANCE_LEVELS,
  claims_supported: ['acr', 'amr'],
});

/** RFC 9449 5.1: the algorithms a DPoP proof may use (dpop/proof.ts). */
const dpop: DiscoveryCapability = () => ({ dpop_signing_alg_values_supported: DPOP_SIGNING_ALGS });

/**
 * What Latchkey implements right now, and nothing more. Later features (authorize, token,
 * revocation, introspection, userinfo, logout) append a capability here.
 */
export const DISCOVERY_CAPABILITIES: readonly DiscoveryCapability[] = [issuerAndKeys, signedTokens, pkce, assuranceLevels, dpop, signInCapability, deviceDiscoveryCapability, parDiscoveryCapability];

/** Merges the capabilities; list-valued members are united, so two features may add to one list. */
export function buildDiscoveryDocument(
  context: DiscoveryContext,
  capabilities: readonly DiscoveryCapability[] = DISCOVERY_CAPABILITIES,
): DiscoveryMetadata {
  const document: Record<string, string | boolean | readonly string[]> = {};
  for (const capability of capabilities) {
    for (const [name, value] of Object.entries(capability(context))) {
      const existing = document[name];
      document[name] = Array.isArray(existing) && Array.isArray(value) ? [...new Set([...existing, ...value])] : value;
    }
  }
  return document;
}
