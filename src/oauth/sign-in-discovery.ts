import type { DiscoveryCapability } from './discovery.js';

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
  grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
  revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  prompt_values_supported: ['none', 'login', 'consent'],
  claims_supported: ['preferred_username', 'name', 'updated_at', 'email', 'email_verified'],
  claims_parameter_supported: false,
  request_parameter_supported: false,
  request_uri_parameter_supported: false,
  authorization_response_iss_parameter_supported: true,
});
