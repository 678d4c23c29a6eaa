import { parseBasicCredentials, usesBasicScheme } from './basic-credentials.js';
import type { ClientAuthMethod, PresentedCredentials } from './method.js';
import { secretAccepted } from './secret-check.js';

type BasicCredentials = ReturnType<typeof parseBasicCredentials>;

/** Each request's header decoded once: authentication reads the client id, then verifies the secret. */
const decoded = new WeakMap<PresentedCredentials, BasicCredentials>();

function credentialsOf(presented: PresentedCredentials): BasicCredentials {
  if (decoded.has(presented)) return decoded.get(presented);
  const credentials = presented.authorization === undefined ? undefined : parseBasicCredentials(presented.authorization);
  decoded.set(presented, credentials);
  return credentials;
}

/** RFC 6749 2.3.1: the client id and secret in an `Authorization: Basic` header. */
export const clientSecretBasic: ClientAuthMethod<'client_secret_basic'> = {
  name: 'client_secret_basic',
  clientType: 'confidential',
  credential: 'secret',
  usesAuthorizationHeader: true,
  detect: ({ authorization }) => usesBasicScheme(authorization),
  clientId: (presented) => {
    const credentials = credentialsOf(presented);
    // A client_id in the body must name the same client as the header.
    if (!credentials || (presented.params.client_id !== undefined && presented.params.client_id !== credentials.clientId)) return undefined;
    return credentials.clientId;
  },
  verify: (stored, presented, { now }) => {
    const credentials = credentialsOf(presented);
    return credentials !== undefined && secretAccepted(stored, credentials.secret, now);
  },
};
