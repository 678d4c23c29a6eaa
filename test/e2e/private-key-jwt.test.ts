import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { SignJWT, exportSPKI, importJWK, type CryptoKey } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { postForm } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { assertionFields, clientKey, JwksServer, signAssertion, type ClientKey } from '../helpers/client-keys.js';
import { codeFlowWithRefreshAndUserinfo, discover, insecure } from '../helpers/oauth4webapi-flow.js';

/*
 * private_key_jwt (RFC 7523 2.2 and 3, OpenID Connect Core 9): clients sign a short-lived JWT
 * with their private key; Latchkey verifies it with their registered jwks or jwks_uri.
 */

const REDIRECT = 'https://app.example.com/cb';
const PASSWORD = 'correct horse battery staple';
type Registered = { clientId: string; secret?: string };

describe('private_key_jwt client authentication', () => {
  const clock = new ManualClock();
  let server: TestServer;
  let jwks: JwksServer;
  let remoteKey: ClientKey;
  let inlineKey: ClientKey;
  let remote: Registered;
  let inline: Registered;
  let service: Registered;

  const nowSeconds = () => Math.floor(clock.now() / 1000);
  const token = (fields: Record<string, string>) => postForm(`${server.url}/token`, fields);
  async function expectInvalidClient(response: Response, description?: RegExp) {
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: string; error_description: string; access_token?: string };
    expect(body.error).toBe('invalid_client');
    expect(body.access_token).toBeUndefined();
    if (description) expect(body.error_description).toMatch(description);
  }
  const clientCredentials = async (client: Registered, assertion: string) => token({ grant_type: 'client_credentials', ...assertionFields(client.clientId, assertion) });

  beforeAll(async () => {
    jwks = await JwksServer.start();
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0', RATE_LIMIT_AUTHORIZE: '0', CLIENT_JWKS_TIMEOUT: '1s' }, undefined, { clock });
    const db = server.database.db;
    await makeUser(db, { username: 'signer', password: PASSWORD });
    remoteKey = await clientKey('ES256');
    inlineKey = await clientKey('RS256');
    remote = await makeClient(db, { redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwks.serve('/remote', { kind: 'keys', keys: [remoteKey.publicJwk] }) });
    inline = await makeClient(db, { redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [inlineKey.publicJwk] } });
    service = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['orders:read'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [inlineKey.publicJwk] } });
  });
  afterAll(async () => {
    await server?.stop();
    await jwks?.stop();
  });

  it('is listed in discovery for every endpoint, with the assertion algorithms', async () => {
    const as = await discover(server.url);
    for (const member of ['token_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported', 'introspection_endpoint_auth_methods_supported'] as const) {
      expect(as[member]).toContain('private_key_jwt');
    }
    for (const member of ['token_endpoint_auth_signing_alg_values_supported', 'revocation_endpoint_auth_signing_alg_values_supported', 'introspection_endpoint_auth_signing_alg_values_supported'] as const) {
      expect(as[member]).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA']));
      expect(as[member]).not.toContain('HS256');
      expect(as[member]).not.toContain('none');
    }
  });

  it.each([
    ['jwks_uri (served by a test server)', () => remote, () => remoteKey],
    ['inline jwks', () => inline, () => inlineKey],
  ])('runs the code flow, a refresh and userinfo with oauth4webapi PrivateKeyJwt, keys from %s', async (_label, client, key) => {
    const { tokens, refreshed, userinfo } = await codeFlowWithRefreshAndUserinfo(
      server.url,
      { client_id: client().clientId, [oauth.clockSkew]: Math.round((clock.now() - Date.now()) / 1000) },
      oauth.PrivateKeyJwt({ key: key().privateKey, kid: key().kid }),
      { redirectUri: REDIRECT, username: 'signer', password: PASSWORD, par: false },
    );
    expect(tokens.refresh_token).toBeTruthy();
    expect(refreshed.access_token).toBeTruthy();
    expect(userinfo.preferred_username).toBe('signer');
  });

  it('revokes and introspects with private_key_jwt (oauth4webapi)', async () => {
    const as = await discover(server.url);
    const client: oauth.Client = { client_id: inline.clientId };
    const auth = oauth.PrivateKeyJwt({ key: inlineKey.privateKey, kid: inlineKey.kid });
    const { tokens } = await codeFlowWithRefreshAndUserinfo(server.url, client, auth, { redirectUri: REDIRECT, username: 'signer', password: PASSWORD, par: false });
    const active = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    expect(active.active).toBe(true);
    expect(active.client_id).toBe(inline.clientId);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.refresh_token!, insecure));
    const after = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.refresh_token!, insecure));
    expect(after.active).toBe(false);
  });

  it('gives a private_key_jwt client no secret, and refuses a secret for it', async () => {
    expect(inline.secret).toBeUndefined();
    await expectInvalidClient(await token({ grant_type: 'client_credentials', client_id: service.clientId, client_secret: 'lk_cs_anything' }));
  });

  describe('hostile assertions: each refused with 401 invalid_client, never a 500', () => {
    const sign = (overrides: Parameters<typeof signAssertion>[3] = {}, audience: string | string[] = server.url) =>
      signAssertion(inlineKey, service.clientId, audience, { now: nowSeconds(), ...overrides });

    it('accepts a well-formed one (aud = issuer, token endpoint) as the baseline', async () => {
      for (const aud of [server.url, `${server.url}/token`]) expect((await clientCredentials(service, await sign({}, aud))).status).toBe(200);
    });

    it('refuses a replayed assertion (the same jti), also when the two uses race', async () => {
      const assertion = await sign();
      expect((await clientCredentials(service, assertion)).status).toBe(200);
      await expectInvalidClient(await clientCredentials(service, assertion), /used before/);
      const racing = await sign();
      const statuses = (await Promise.all([1, 2, 3, 4].map(() => clientCredentials(service, racing)))).map((r) => r.status);
      expect(statuses.sort()).toEqual([200, 401, 401, 401]);
    });

    it.each([
      ['wrong aud', { audience: 'https://other-issuer.example' }, /aud/],
      ['aud as an array holding the issuer', { audience: ['__ISSUER__', 'https://other.example'] }, /aud/],
      ['aud = the introspection endpoint, sent to /token', { audience: '__ISSUER__/introspect' }, /aud/],
      ['iss != sub', { claims: { iss: 'someone-else' } }, /iss/],
      ['expired (past the clock tolerance)', { claims: { iat: -400, exp: -100 } }, /expired/],
      ['too long a lifetime (exp 10 minutes after iat)', { claims: { exp: 600 } }, /too long/],
      ['too long a lifetime without iat', { claims: { iat: undefined, exp: 900 } }, /too long/],
      ['iat in the future', { claims: { iat: 120, exp: 150 } }, /iat/],
      ['nbf in the future', { claims: { nbf: 120 } }, /nbf/],
      ['no exp', { claims: { exp: undefined } }, /exp/],
      ['no jti', { claims: { jti: undefined } }, /jti/],
      ['a kid no key has', { header: { kid: 'unknown-kid' } }, /no registered key/],
    ])('refuses %s', async (_label, variant: { audience?: string | string[]; claims?: Record<string, unknown>; header?: Record<string, unknown> }, description) => {
      const now = nowSeconds();
      const claims = Object.fromEntries(Object.entries(variant.claims ?? {}).map(([name, value]) => [name, typeof value === 'number' && ['iat', 'exp', 'nbf'].includes(name) ? now + value : value]));
      const audience = variant.audience === undefined ? server.url : [variant.audience].flat().map((a) => a.replace('__ISSUER__', server.url));
      const assertion = await sign({ claims, header: variant.header }, Array.isArray(audience) && audience.length === 1 ? audience[0]! : audience);
      await expectInvalidClient(await clientCredentials(service, assertion), description);
    });

    it('refuses alg none', async () => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const now = nowSeconds();
      const unsigned = `${encode({ alg: 'none' })}.${encode({ iss: service.clientId, sub: service.clientId, aud: server.url, jti: 'none-1', iat: now, exp: now + 60 })}.`;
      await expectInvalidClient(await clientCredentials(service, unsigned), /alg/);
    });

    it('refuses HS256 keyed with a secret, and HS256 keyed with the client’s own public key (algorithm confusion)', async () => {
      const now = nowSeconds();
      const claims = { iss: service.clientId, sub: service.clientId, aud: server.url, iat: now, exp: now + 60 };
      const withSecret = await new SignJWT({ ...claims, jti: 'hs-1' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('lk_cs_' + 'x'.repeat(40)));
      await expectInvalidClient(await clientCredentials(service, withSecret), /alg/);
      const pem = await exportSPKI((await importJWK(inlineKey.publicJwk, 'RS256', { extractable: true })) as CryptoKey);
      const withPublicKey = await new SignJWT({ ...claims, jti: 'hs-2' }).setProtectedHeader({ alg: 'HS256', kid: inlineKey.kid }).sign(new TextEncoder().encode(pem));
      await expectInvalidClient(await clientCredentials(service, withPublicKey), /alg/);
    });

    it('refuses a signature by another key with the registered kid, and an assertion of another client', async () => {
      const impostor = await clientKey('RS256', inlineKey.kid);
      await expectInvalidClient(await clientCredentials(service, await signAssertion(impostor, service.clientId, server.url, { now: nowSeconds() })), /signature/);
      // inline's key signs an assertion that names service: same key, but service must be the issuer and subject.
      const forInline = await signAssertion(inlineKey, inline.clientId, server.url, { now: nowSeconds() });
      await expectInvalidClient(await token({ grant_type: 'client_credentials', ...assertionFields(service.clientId, forInline) }));
    });

    it.each([
      ['garbage', 'not-a-jwt'],
      ['three empty parts', '..'],
      ['a JSON header that is not an object', `${Buffer.from('[]').toString('base64url')}.e30.sig`],
      ['an oversized assertion', 'a'.repeat(5000)],
    ])('refuses %s', async (_label, assertion) => {
      const response = await clientCredentials(service, assertion);
      expect([400, 401]).toContain(response.status);
      expect(['invalid_client', 'invalid_request']).toContain(((await response.json()) as { error: string }).error);
    });

    it('refuses a wrong client_assertion_type, and an assertion mixed with a secret', async () => {
      const assertion = await sign();
      await expectInvalidClient(await token({ grant_type: 'client_credentials', client_id: service.clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: assertion }));
      const mixed = await token({ grant_type: 'client_credentials', ...assertionFields(service.clientId, await sign()), client_secret: 'lk_cs_x' });
      expect(mixed.status).toBe(400);
      expect(((await mixed.json()) as { error: string }).error).toBe('invalid_request');
    });

    it('refuses an assertion from a client registered for client_secret_basic', async () => {
      const basic = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders:read'] });
      await expectInvalidClient(await clientCredentials(basic, await signAssertion(inlineKey, basic.clientId, server.url, { now: nowSeconds() })), /client_secret_basic/);
    });
  });

  describe('jwks_uri: rotation, throttling, hostile key servers', () => {
    it('fetches again on an unknown kid at most once a minute per client', async () => {
      const first = await clientKey('ES256');
      const uri = jwks.serve('/rotating', { kind: 'keys', keys: [first.publicJwk] });
      const rotating = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders:read'], tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: uri });
      const use = async (key: ClientKey) => clientCredentials(rotating, await signAssertion(key, rotating.clientId, server.url, { now: nowSeconds() }));

      expect((await use(first)).status).toBe(200);
      expect(jwks.fetchCount('/rotating')).toBe(1);

      // The client rolls its key: an unknown kid fetches again (the last fetch is a minute old).
      clock.advance(61_000);
      const second = await clientKey('ES256');
      jwks.serve('/rotating', { kind: 'keys', keys: [first.publicJwk, second.publicJwk] });
      expect((await use(second)).status).toBe(200);
      expect(jwks.fetchCount('/rotating')).toBe(2);

      // Another roll right away: throttled, refused without a fetch, however many kids are tried.
      const third = await clientKey('ES256');
      jwks.serve('/rotating', { kind: 'keys', keys: [second.publicJwk, third.publicJwk] });
      for (let i = 0; i < 5; i++) await expectInvalidClient(await use(third), /no registered key/);
      const forged = await clientKey('ES256', 'made-up-kid');
      await expectInvalidClient(await use(forged));
      expect(jwks.fetchCount('/rotating')).toBe(2);
      expect((await use(second)).status).toBe(200);

      // A minute later the new key works.
      clock.advance(61_000);
      expect((await use(third)).status).toBe(200);
      expect(jwks.fetchCount('/rotating')).toBe(3);
    });

    it.each([
      ['an oversized key set with Content-Length', { kind: 'oversized' as const, bytes: 100_000, declareLength: true }],
      ['an oversized key set without Content-Length (chunked)', { kind: 'oversized' as const, bytes: 100_000, declareLength: false }],
      ['an error status', { kind: 'status' as const, status: 500 }],
      ['a redirect', { kind: 'status' as const, status: 302 }],
    ])('refuses authentication when the jwks_uri answers %s', async (label, behaviour) => {
      const key = await clientKey('ES256');
      const path = `/hostile-${label.replace(/\W+/g, '-')}`;
      const client = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders:read'], tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwks.serve(path, behaviour) });
      await expectInvalidClient(await clientCredentials(client, await signAssertion(key, client.clientId, server.url, { now: nowSeconds() })), /jwks_uri/);
      // A failed fetch is not retried within the minute either.
      await expectInvalidClient(await clientCredentials(client, await signAssertion(key, client.clientId, server.url, { now: nowSeconds() })));
      expect(jwks.fetchCount(path)).toBe(1);
    });

    it('gives up on a jwks_uri that does not answer after CLIENT_JWKS_TIMEOUT (1 s here)', async () => {
      const key = await clientKey('ES256');
      const client = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders:read'], tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwks.serve('/hang', { kind: 'hang' }) });
      const started = performance.now();
      await expectInvalidClient(await clientCredentials(client, await signAssertion(key, client.clientId, server.url, { now: nowSeconds() })), /jwks_uri/);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(5000);
    });
  });
});
