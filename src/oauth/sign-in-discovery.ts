import { CLIENT_ASSERTION_ALGS } from '../clients/auth-methods/assertion-checks.js';
import { AUTH_METHOD_NAMES, authMethodsFor } from '../clients/auth-methods/registry.js';
import type { DiscoveryCapability } from './discovery-capability.js';
import { GRANT_TYPES_SUPPORTED } from './grants/registry.js';

/** Discovery members of the authorization code flow, /token, /revoke, /introspect, /userinfo and /logout. */
export const signInCapability: DiscoveryCapability = ({ issuer }) => ({
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  userinfo_endpoint: `${issuer}/userinfo`,
  end_session_endpoint: `${issuer}/logout`,
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  revocation_endpoint: `${issuer}/revoke`,
  introspection_endpoint: `${issuer}/introspect`,
  grant_types_supported: GRANT_TYPES_SUPPORTED,
  revocation_endpoint_auth_methods_supported: AUTH_METHOD_NAMES,
  // RFC 7662 2.1: introspection needs a client that proves who it is.
  introspection_endpoint_auth_methods_supported: authMethodsFor('confidential'),
  token_endpoint_auth_methods_supported: AUTH_METHOD_NAMES,
  // private_key_jwt assertions (RFC 8414 2); /par and /device_authorization use the token endpoint's lists.
  token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
  revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
  introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
  prompt_values_supported: ['none', 'login', 'consent'],
  claims_supported: ['preferred_username', 'name', 'updated_at', 'email', 'email_verified'],
  claims_parameter_supported: false,
  request_parameter_supported: false,
  request_uri_parameter_supported: false,
  authorization_response_iss_parameter_supported: true,
});
