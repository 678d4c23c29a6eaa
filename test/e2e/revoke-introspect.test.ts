import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { clientAuth, introspect, loginTokens, refresh, type ClientCredentials } from '../helpers/tokens.js';

const REDIRECT = 'https://app.example.com/cb';

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  let server: TestServer;
  const clock = new ManualClock();
  let app: ClientCredentials;
  let other: ClientCredentials;
  let spa: ClientCredentials;
  let api: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;
  const login = (client = app) => loginTokens(server.url, client, REDIRECT, 'kim', user.password);
  const revoke = (caller: ClientCredentials, fields: Record<string, string>) =>
    postForm(`${server.url}/revoke`, caller.secret ? fields : { client_id: caller.clientId, ...fields }, clientAuth(caller));

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0' }, undefined, { clock });
    const db = server.database.db;
    user = await makeUser(db, { username: 'kim' });
    app = await makeClient(db, { redirectUris: [REDIRECT] });
    other = await makeClient(db, { redirectUris: [REDIRECT] });
    spa = await makeClient(db, { type: 'public', redirectUris: [REDIRECT] });
    api = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['read'] });
  });
  afterAll(async () => server?.stop());

  describe('/introspect', () => {
    it('describes an active access token with the RFC 7662 members', async () => {
      const tokens = await login();
      const result = await introspect(server.url, api, tokens.access_token);
      expect(result).toMatchObject({
        active: true,
        token_type: 'Bearer',
        sub: user.id,
        client_id: app.clientId,
        scope: 'openid profile offline_access',
        iss: server.url,
        aud: server.url,
        jti: expect.any(String),
        exp: expect.any(Number),
        iat: expect.any(Number),
      });
    });

    it('lets only the owning client introspect a refresh token', async () => {
      const tokens = await login();
      expect(await introspect(server.url, app, tokens.refresh_token!)).toMatchObject({ active: true, token_type: 'refresh_token', client_id: app.clientId, sub: user.id });
      expect(await introspect(server.url, other, tokens.refresh_token!)).toEqual({ active: false });
      expect(await introspect(server.url, api, tokens.refresh_token!)).toEqual({ active: false });
    });

    it('reports a consumed refresh token inactive', async () => {
      const tokens = await login();
      expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(200);
      expect(await introspect(server.url, app, tokens.refresh_token!)).toEqual({ active: false });
    });

    it.each([
      ['malformed', () => 'garbage'],
      ['empty-ish', () => '.'],
      ['an unknown refresh token', () => 'lk_rt_' + 'a'.repeat(43)],
    ])('answers {active:false} for a %s token', async (_label, token) => {
      expect(await introspect(server.url, api, token())).toEqual({ active: false });
    });

    it('answers {active:false} for wrongly signed and foreign-issuer tokens', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const claims = { scope: 'openid', client_id: app.clientId, jti: 'j1' };
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: server.keys.signer().kid })
        .setIssuer(server.url).setAudience(server.url).setSubject(user.id).setIssuedAt().setExpirationTime('5m').sign(privateKey);
      expect(await introspect(server.url, api, forged)).toEqual({ active: false });
      const tokens = await login();
      const [header, , signature] = tokens.access_token.split('.');
      const payload = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
      const foreign = `${header}.${Buffer.from(JSON.stringify({ ...payload, iss: 'https://evil.example' })).toString('base64url')}.${signature}`;
      expect(await introspect(server.url, api, foreign)).toEqual({ active: false });
    });

    it('answers {active:false} once an access token has expired', async () => {
      const tokens = await login();
      clock.advance((600 + 31) * 1000);
      expect(await introspect(server.url, api, tokens.access_token)).toEqual({ active: false });
    });

    it('refuses unauthenticated callers and public clients with 401 invalid_client', async () => {
      const tokens = await login();
      const anonymous = await postForm(`${server.url}/introspect`, { token: tokens.access_token });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: 'invalid_client' });
      const wrong = await postForm(`${server.url}/introspect`, { token: tokens.access_token }, { authorization: basicAuth(api.clientId, 'lk_cs_nope') });
      expect(wrong.status).toBe(401);
      const publicCaller = await postForm(`${server.url}/introspect`, { token: tokens.access_token, client_id: spa.clientId });
      expect(publicCaller.status).toBe(401);
    });

    it('requires the token parameter', async () => {
      const response = await postForm(`${server.url}/introspect`, {}, clientAuth(api));
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('/revoke', () => {
    it('a refresh token revokes its family: refresh fails, and its access tokens introspect inactive', async () => {
      const tokens = await login();
      const rotated = (await (await refresh(server.url, app, tokens.refresh_token!)).json()) as { access_token: string; refresh_token: string };
      const response = await revoke(app, { token: rotated.refresh_token, token_type_hint: 'refresh_token' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
      expect((await refresh(server.url, app, rotated.refresh_token)).status).toBe(400);
      expect(await introspect(server.url, api, tokens.access_token)).toEqual({ active: false });
      expect(await introspect(server.url, api, rotated.access_token)).toEqual({ active: false });
    });

    it('an access token is denied until its exp; the refresh token keeps working', async () => {
      const tokens = await login();
      expect((await revoke(app, { token: tokens.access_token })).status).toBe(200);
      expect(await introspect(server.url, api, tokens.access_token)).toEqual({ active: false });
      const response = await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(response.status).toBe(401);
      const row = await server.database.db.selectFrom('revoked_jtis').select('expires_at').where('jti', '=', String((await introspect(server.url, api, (await login()).access_token)).jti)).executeTakeFirst();
      expect(row).toBeUndefined(); // only the revoked one is listed
      expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(200);
    });

    it('a hint that lies is not trusted', async () => {
      const tokens = await login();
      expect((await revoke(app, { token: tokens.refresh_token!, token_type_hint: 'access_token' })).status).toBe(200);
      expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(400);
      const more = await login();
      expect((await revoke(app, { token: more.access_token, token_type_hint: 'refresh_token' })).status).toBe(200);
      expect(await introspect(server.url, api, more.access_token)).toEqual({ active: false });
    });

    it('a client cannot revoke another client’s tokens (and is told 200 all the same)', async () => {
      const tokens = await login();
      expect((await revoke(other, { token: tokens.refresh_token! })).status).toBe(200);
      expect((await revoke(other, { token: tokens.access_token })).status).toBe(200);
      expect((await introspect(server.url, api, tokens.access_token)).active).toBe(true);
      expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(200);
    });

    it('answers 200 for unknown and already revoked tokens', async () => {
      expect((await revoke(app, { token: 'lk_rt_' + 'z'.repeat(43) })).status).toBe(200);
      expect((await revoke(app, { token: 'nonsense' })).status).toBe(200);
      const tokens = await login();
      expect((await revoke(app, { token: tokens.refresh_token! })).status).toBe(200);
      expect((await revoke(app, { token: tokens.refresh_token! })).status).toBe(200);
    });

    it('a public client revokes its own token with just its client_id', async () => {
      const tokens = await login(spa);
      expect((await revoke(spa, { token: tokens.refresh_token! })).status).toBe(200);
      expect((await refresh(server.url, spa, tokens.refresh_token!)).status).toBe(400);
    });

    it('needs client authentication and a token', async () => {
      const anonymous = await postForm(`${server.url}/revoke`, { token: 'x' });
      expect(anonymous.status).toBe(401);
      const noToken = await revoke(app, {});
      expect(noToken.status).toBe(400);
      expect(await noToken.json()).toMatchObject({ error: 'invalid_request' });
    });

    it('records family and token revocations in the audit trail without the tokens', async () => {
      const tokens = await login();
      await revoke(app, { token: tokens.refresh_token! });
      const events = await server.database.db.selectFrom('audit_events').selectAll().where('type', 'in', ['family_revoked', 'token_revoked']).execute();
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(events)).not.toMatch(/lk_rt_|eyJ/);
    });
  });
});
