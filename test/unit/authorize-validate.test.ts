import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/http/oauth-error.js';
import type { Params } from '../../src/http/params.js';
import {
  authorizationResponseUrl,
  resolveRedirectUri,
  UntrustedRedirectError,
  validateAuthorizationRequest,
} from '../../src/oauth/authorize/validate.js';
import { testClient } from './support.js';

const ISSUER = 'https://issuer.example';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const client = testClient({ redirectUris: ['https://app.example/cb'], resources: ['https://api.example'], defaultAudience: null });
const valid: Params = { response_type: 'code', scope: 'openid profile', code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 'xyz' };

function refusal(params: Params, owner = client): { error: string; description: string } | undefined {
  try {
    validateAuthorizationRequest(params, owner, 'https://app.example/cb', ISSUER);
    return undefined;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { error: error.code, description: error.description };
  }
}

describe('authorize step one: client and redirect URI (errors never go to the redirect URI)', () => {
  it.each([
    ['an unknown client', {}, undefined, /unknown client_id/],
    ['no redirect_uri with several registered', {}, testClient({ redirectUris: ['https://a.example/cb', 'https://b.example/cb'] }), /several registered/],
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/cb' }, client, /not registered/],
  ] as const)('refuses %s', (_name, params, owner, message) => {
    expect(() => resolveRedirectUri(params, owner)).toThrow(UntrustedRedirectError);
    expect(() => resolveRedirectUri(params, owner)).toThrow(message);
  });

  it('takes the only registered URI when the request names none, else the one it names', () => {
    expect(resolveRedirectUri({}, client)).toBe('https://app.example/cb');
    expect(resolveRedirectUri({ redirect_uri: 'https://app.example/cb' }, client)).toBe('https://app.example/cb');
  });
});

describe('authorize step two: the rest (errors redirected with these codes)', () => {
  it.each([
    ['a request object', { request: 'eyJ' }, 'request_not_supported'],
    ['a request_uri', { request_uri: 'urn:x' }, 'request_uri_not_supported'],
    ['no response_type', { response_type: undefined }, 'invalid_request'],
    ['response_type=token (implicit)', { response_type: 'token' }, 'unsupported_response_type'],
    ['response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request'],
    ['a state over 1024 characters', { state: 's'.repeat(1025) }, 'invalid_request'],
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
    ['a malformed challenge', { code_challenge: 'short' }, 'invalid_request'],
    ['no scope', { scope: undefined }, 'invalid_scope'],
    ['a scope the client lacks', { scope: 'openid admin' }, 'invalid_scope'],
    ['a nonce over 512 characters', { nonce: 'n'.repeat(513) }, 'invalid_request'],
    ['prompt=none with another value', { prompt: 'none login' }, 'invalid_request'],
    ['an unsupported prompt', { prompt: 'select_account' }, 'invalid_request'],
    ['a negative max_age', { max_age: '-1' }, 'invalid_request'],
    ['a fractional max_age', { max_age: '1.5' }, 'invalid_request'],
    ['an unregistered resource (RFC 8707)', { resource: 'https://other.example' }, 'invalid_target'],
  ] as const)('refuses %s', (_name, change, error) => {
    expect(refusal({ ...valid, ...change })?.error).toBe(error);
  });

  it('refuses a client not registered for the code flow', () => {
    expect(refusal(valid, testClient({ grantTypes: ['client_credentials'] }))?.error).toBe('unauthorized_client');
  });

  it.each([
    [undefined, undefined],
    ['login', 'login'],
    ['consent', 'consent'],
    ['none', 'none'],
    ['consent login', 'login'],
  ] as const)('prompt=%s is read as %s', (prompt, expected) => {
    expect(validateAuthorizationRequest({ ...valid, prompt }, client, 'https://app.example/cb', ISSUER).prompt).toBe(expected);
  });

  it('returns the request to park: scope normalised, audience resolved, login_hint bounded', () => {
    const request = validateAuthorizationRequest(
      { ...valid, scope: 'profile openid profile', max_age: '0', login_hint: 'h'.repeat(300), resource: 'https://api.example' },
      client,
      'https://app.example/cb',
      ISSUER,
    );
    expect(request).toMatchObject({ clientId: 'app', redirectUri: 'https://app.example/cb', redirectUriGiven: false, scope: 'profile openid', maxAge: 0, audience: 'https://api.example', state: 'xyz' });
    expect(request.loginHint).toHaveLength(256);
  });

  it('defaults the audience to the client default, then the issuer', () => {
    expect(validateAuthorizationRequest(valid, client, 'https://app.example/cb', ISSUER).audience).toBe(ISSUER);
    expect(validateAuthorizationRequest(valid, testClient({ defaultAudience: 'https://api.example' }), 'https://app.example/cb', ISSUER).audience).toBe('https://api.example');
  });
});

describe('authorization response URL (RFC 6749 4.1.2, RFC 9207)', () => {
  it('appends the values and iss, keeping the registered query, skipping absent values', () => {
    const url = new URL(authorizationResponseUrl('https://app.example/cb?tenant=a', ISSUER, { code: 'c', state: undefined }));
    expect([...url.searchParams]).toEqual([['tenant', 'a'], ['code', 'c'], ['iss', ISSUER]]);
  });
});
