import type { DiscoveryCapability } from '../discovery-capability.js';
import { PAR_PATH } from './endpoint.js';

/** RFC 9126 5: the endpoint, and whether every client must use it (REQUIRE_PAR). */
export const parDiscoveryCapability: DiscoveryCapability = ({ issuer, requirePushedAuthorizationRequests }) => ({
  pushed_authorization_request_endpoint: `${issuer}${PAR_PATH}`,
  require_pushed_authorization_requests: requirePushedAuthorizationRequests,
});
