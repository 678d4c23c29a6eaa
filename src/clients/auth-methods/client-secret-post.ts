import type { ClientAuthMethod } from './method.js';
import { secretAccepted } from './secret-check.js';

/** RFC 6749 2.3.1: client_id and client_secret as form parameters (allowed, not recommended). */
export const clientSecretPost: ClientAuthMethod<'client_secret_post'> = {
  name: 'client_secret_post',
  clientType: 'confidential',
  credential: 'secret',
  usesAuthorizationHeader: false,
  detect: ({ params }) => params.client_secret !== undefined,
  clientId: ({ params }) => params.client_id,
  verify: (stored, { params }, { now }) => params.client_secret !== undefined && secretAccepted(stored, params.client_secret, now),
};
