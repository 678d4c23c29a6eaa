import type { DiscoveryCapability } from '../discovery-capability.js';
import { DEVICE_AUTHORIZATION_PATH } from './authorization-endpoint.js';

/** The device flow's discovery member (RFC 8628 4); the grant type itself is listed from the grant registry. */
export const deviceDiscoveryCapability: DiscoveryCapability = ({ issuer }) => ({
  device_authorization_endpoint: `${issuer}${DEVICE_AUTHORIZATION_PATH}`,
});
