import type { ClientAuthMethod } from './method.js';

/**
 * RFC 7591 2 `none`: a public client only names itself with client_id; it proves nothing here
 * (the code grant binds it with PKCE instead, RFC 7636).
 */
export const noClientAuthentication: ClientAuthMethod<'none'> = {
  name: 'none',
  clientType: 'public',
  credential: 'none',
  usesAuthorizationHeader: false,
  detect: ({ authorization, params }) =>
    authorization === undefined && params.client_secret === undefined && params.client_assertion === undefined && params.client_assertion_type === undefined,
  clientId: ({ params }) => params.client_id,
  // Whether the client may use `none` at all is decided by its registration, before this runs.
  verify: () => true,
};
