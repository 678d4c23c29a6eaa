import { parseBasicCredentials, usesBasicScheme } from './basic-credentials.js';
import type { ClientAuthMethod } from './method.js';
import { secretAccepted } from './secret-check.js';

/** RFC 6749 2.3.1: the client id and secret in an `Authorization: Basic` header. */
export const clientSecretBasic: ClientAuthMethod<'client_secret_basic'> = {
  name: 'client_secret_basic',
  clientType: 'confidential',
  credential: 'secret',
  usesAuthorizationHeader: true,
  detect: ({ authorization }) => usesBasicScheme(authorization),
  clientId: ({ authorization, params }) => {
    const credentials = authorization === undefined ? undefined : parseBasicCredentials(authorization);
    // A client_id in the body must name the same client as the header.
    if (!credentials || (params.client_id !== undefined && params.client_id !== credentials.clientId)) return undefined;
    return credentials.clientId;
  },
  verify: (stored, { authorization }, { now }) => {
    const credentials = authorization === undefined ? undefined : parseBasicCredentials(authorization);
    return credentials !== undefined && secretAccepted(stored, credentials.secret, now);
  },
};
