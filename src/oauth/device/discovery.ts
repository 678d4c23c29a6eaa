import { DEVICE_AUTHORIZATION_PATH } from './authorization-endpoint.js';

/**
 * The device flow's discovery member (RFC 8628 4); the grant type itself is listed from the grant
 * registry. Typed by its shape, not as DiscoveryCapability, so that discovery.ts, which lists it,
 * stays the only one of the two importing the other.
 */
export const deviceDiscoveryCapability = ({ issuer }: { issuer: string }) => ({
  device_authorization_endpoint: `${issuer}${DEVICE_AUTHORIZATION_PATH}`,
});
