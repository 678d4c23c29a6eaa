import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectableApp, type InjectableApp } from './app.js';

const ISSUER = 'https://issuer.example';

describe('HTTP contracts (fastify inject, no socket)', () => {
  let subject: InjectableApp;
  beforeAll(async () => {
    subject = await injectableApp({ ISSUER, JWKS_CACHE_TTL: '300' });
  });
  afterAll(async () => subject?.close());

  const get = (url: string, headers: Record<string, string> = {}) => subject.app.inject({ method: 'GET', url, headers });
  const postToken = (payload: string, headers: Record<string, string> = {}) =>
    subject.app.inject({ method: 'POST', url: '/token', payload, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

  describe('discovery (OIDC Discovery 1.0, RFC 8414)', () => {
    it.each(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'])('%s names the issuer, its endpoints and what it supports', async (path) => {
      const response = await get(path);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      const document = response.json<Record<string, unknown>>();
      expect(document).toMatchObject({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/authorize`,
        token_endpoint: `${ISSUER}/token`,
        jwks_uri: `${ISSUER}/.well-known/jwks.json`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
      expect(document.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
      expect(document.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']));
    });
  });

  describe('JWKS (cacheable, revalidated by ETag)', () => {
    it('serves public keys only, with Cache-Control and an ETag', async () => {
      const response = await get('/.well-known/jwks.json');
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
      expect(response.headers.etag).toMatch(/^(W\/)?"[^"]+"$/);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      const { keys } = response.json<{ keys: Record<string, unknown>[] }>();
      expect(keys.map((key) => key.kid)).toContain(subject.keys.signer().kid);
      for (const key of keys) expect(key).not.toHaveProperty('d');
    });

    it('answers 304 with no body to a matching If-None-Match, 200 to a stale one', async () => {
      const { etag } = (await get('/.well-known/jwks.json')).headers;
      const fresh = await get('/.well-known/jwks.json', { 'if-none-match': String(etag) });
      expect(fresh.statusCode).toBe(304);
      expect(fresh.body).toBe('');
      expect((await get('/.well-known/jwks.json', { 'if-none-match': '"stale"' })).statusCode).toBe(200);
    });
  });

  describe('/token errors (RFC 6749 5.2): JSON {error, error_description}, never cached', () => {
    it.each([
      ['no grant_type', '', 400, 'invalid_request'],
      ['an unknown grant_type', 'grant_type=password&client_id=x', 400, 'unsupported_grant_type'],
      ['a repeated parameter', 'grant_type=client_credentials&grant_type=client_credentials', 400, 'invalid_request'],
    ])('%s: %i %s', async (_name, payload, status, error) => {
      const response = await postToken(payload);
      expect(response.statusCode).toBe(status);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.json()).toEqual({ error, error_description: expect.any(String) });
    });

    it('an unknown client authenticating with Basic: 401 invalid_client with a Basic challenge (5.2)', async () => {
      const response = await postToken('grant_type=client_credentials', { authorization: 'Basic ' + Buffer.from('nobody:secret').toString('base64') });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic/);
      expect(response.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    });

    it('a JSON body is refused: /token takes form parameters (3.2)', async () => {
      const response = await subject.app.inject({ method: 'POST', url: '/token', payload: '{"grant_type":"client_credentials"}', headers: { 'content-type': 'application/json' } });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/x-www-form-urlencoded/) });
    });
  });

  describe('security headers on every response', () => {
    it.each(['/healthz', '/.well-known/jwks.json', '/.well-known/openid-configuration', '/no-such-path', '/authorize'])('%s', async (path) => {
      const response = await get(path);
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers['x-powered-by']).toBeUndefined();
      // the issuer is https, so HSTS is sent
      expect(response.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    });
  });
});
