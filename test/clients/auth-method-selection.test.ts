import { describe, expect, it } from 'vitest';
import { selectAuthMethod } from '../../src/clients/authenticate.js';
import { AUTH_METHOD_NAMES, authMethodsFor, DEFAULT_AUTH_METHOD } from '../../src/clients/auth-methods/registry.js';
import { OAuthError } from '../../src/http/oauth-error.js';

const basic = `Basic ${Buffer.from('app:secret').toString('base64')}`;

function outcome(authorization: string | undefined, params: Record<string, string>): string {
  try {
    return selectAuthMethod({ authorization, params }).name;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return `${error.code}${error.headers['www-authenticate'] ? ' (challenge)' : ''}`;
  }
}

describe('which client authentication method a request uses', () => {
  it.each([
    ['Basic header', basic, {}, 'client_secret_basic'],
    ['Basic header and the same client_id in the body', basic, { client_id: 'app' }, 'client_secret_basic'],
    ['client_id and client_secret in the body', undefined, { client_id: 'app', client_secret: 's' }, 'client_secret_post'],
    ['client_id alone', undefined, { client_id: 'app' }, 'none'],
    ['nothing at all (no client named: refused later)', undefined, {}, 'none'],
    ['Basic header and client_secret in the body', basic, { client_secret: 's' }, 'invalid_request'],
    ['a Bearer header', 'Bearer abc', { client_id: 'app' }, 'invalid_client'],
    ['a Bearer header and a secret in the body', 'Bearer abc', { client_id: 'app', client_secret: 's' }, 'invalid_client'],
    ['a client assertion', undefined, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'a.b.c' }, 'private_key_jwt'],
    ['a client_assertion_type alone (never taken for none)', undefined, { client_id: 'app', client_assertion_type: 'x' }, 'private_key_jwt'],
    ['a client assertion and a secret in the body', undefined, { client_assertion: 'a.b.c', client_secret: 's' }, 'invalid_request'],
    ['a client assertion and a Basic header', basic, { client_assertion: 'a.b.c' }, 'invalid_request'],
  ])('%s -> %s', (_label, authorization, params, expected) => {
    expect(outcome(authorization, params)).toBe(expected);
  });

  it('lists every method once, and gives each client type a default of its own type', () => {
    expect(AUTH_METHOD_NAMES).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
    expect(authMethodsFor('confidential')).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    expect(authMethodsFor('public')).toEqual(['none']);
    expect(authMethodsFor('confidential')).toContain(DEFAULT_AUTH_METHOD.confidential);
    expect(authMethodsFor('public')).toContain(DEFAULT_AUTH_METHOD.public);
  });
});
