import { OAuthError } from '../../http/oauth-error.js';

/** RFC 6749 5.2: failed client authentication is 401, with a challenge when the Authorization header was used. */
export function invalidClient(challenge: boolean, description = 'client authentication failed'): OAuthError {
  return new OAuthError('invalid_client', description, 401, challenge ? { 'www-authenticate': 'Basic realm="latchkey", charset="UTF-8"' } : {});
}
