import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { ManualClock } from '../helpers/manual-clock.js';

const REDIRECT = 'http://localhost:8080/callback';

describe('authorization code flow with openid-client over real HTTP', () => {
  let server: TestServer;
  let issuer: string;
  let clientId: string;
  let clientSecret: string;
  let user: Awaited<ReturnType<typeof makeUser>>;
  let config: client.Configuration;
  const clock = new ManualClock();

  beforeAll(async () => {
    server = await startTestServer({}, undefined, { clock });
    issuer = server.url;
    const db = server.database.db;
    user = await makeUser(db, { username: 'Alice', email: 'alice@example.com', name: 'Alice Liddell' });
    const created = await makeClient(db, { redirectUris: [REDIRECT], postLogoutRedirectUris: ['http://localhost:8080/bye'] });
    clientId = created.clientId;
    clientSecret = created.secret!;
    config = await client.discovery(new URL(issuer), clientId, clientSecret, client.ClientSecretBasic(clientSecret), {
      execute: [client.allowInsecureRequests],
    });
  });
  afterAll(async () => server?.stop());

  /** Drives the login page like a browser; returns the URL the client's redirect URI received. */
  async function signIn(agent: BrowserAgent, authorizationUrl: URL, credentials = { username: 'alice', password: user.password }) {
    const start = await agent.navigate(authorizationUrl.toString());
    if (start.leftTo) return new URL(start.leftTo);
    expect(start.response.status).toBe(200);
    const page = await start.response.text();
    const done = await agent.submit('/login', {
      csrf_token: hiddenField(page, 'csrf_token'),
      request_id: hiddenField(page, 'request_id'),
      ...credentials,
    });
    expect(done.leftTo, `login did not redirect back: ${done.response.status}`).toBeDefined();
    return new URL(done.leftTo!);
  }

  function authorizationRequest(extra: Record<string, string> = {}) {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    return {
      codeVerifier,
      state,
      nonce,
      url: async () =>
        client.buildAuthorizationUrl(config, {
          redirect_uri: REDIRECT,
          scope: 'openid profile email offline_access',
          code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
          state,
          nonce,
          ...extra,
        }),
    };
  }

  it('discovery lists the flow', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(issuer);
    expect(metadata.authorization_endpoint).toBe(`${issuer}/authorize`);
    expect(metadata.token_endpoint).toBe(`${issuer}/token`);
    expect(metadata.userinfo_endpoint).toBe(`${issuer}/userinfo`);
    expect(metadata.end_session_endpoint).toBe(`${issuer}/logout`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
  });

  it('logs in, exchanges the code with PKCE, validates the ID token fully, and reads userinfo', async () => {
    const agent = new BrowserAgent(issuer);
    const request = authorizationRequest();
    const callback = await signIn(agent, await request.url());
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(callback.searchParams.get('iss')).toBe(issuer);

    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(600);
    expect(tokens.refresh_token).toMatch(/^lk_rt_[A-Za-z0-9_-]{43}$/);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, sub: user.id, aud: clientId, nonce: request.nonce, preferred_username: 'Alice', email: 'alice@example.com' });
    expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof claims.at_hash).toBe('string');

    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const access = await jwtVerify(tokens.access_token, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
    expect(access.payload).toMatchObject({ sub: user.id, client_id: clientId, scope: 'openid profile email offline_access', sid: claims.sid });

    const info = await client.fetchUserInfo(config, tokens.access_token, user.id);
    expect(info).toEqual({
      sub: user.id,
      preferred_username: 'Alice',
      name: 'Alice Liddell',
      updated_at: expect.any(Number),
      email: 'alice@example.com',
      email_verified: false,
    });
  });

  it('skips the login page for a second /authorize inside the session', async () => {
    const agent = new BrowserAgent(issuer);
    await signIn(agent, await authorizationRequest().url());
    const second = authorizationRequest();
    const start = await agent.navigate((await second.url()).toString());
    expect(start.leftTo).toBeDefined();
    const callback = new URL(start.leftTo!);
    expect(callback.searchParams.get('code')).toMatch(/^lk_ac_/);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: second.codeVerifier, expectedState: second.state, expectedNonce: second.nonce });
    expect(tokens.claims()!.sub).toBe(user.id);
  });

  it('prompt=none without a session answers login_required at the redirect URI', async () => {
    const request = authorizationRequest({ prompt: 'none' });
    const result = await new BrowserAgent(issuer).navigate((await request.url()).toString());
    const callback = new URL(result.leftTo!);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('state')).toBe(request.state);
  });

  it('prompt=login and max_age=0 show the login page again inside a session', async () => {
    const agent = new BrowserAgent(issuer);
    await signIn(agent, await authorizationRequest().url());
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      clock.advance(1100); // auth_time has one-second resolution
      const again = await agent.navigate((await authorizationRequest(extra).url()).toString());
      expect(again.leftTo).toBeUndefined();
      expect(again.url).toMatch(/\/login\?request_id=/);
      expect(await again.response.text()).toContain('name="password"');
    }
  });

  it('without offline_access gives no refresh token', async () => {
    const request = authorizationRequest({ scope: 'openid' });
    const callback = await signIn(new BrowserAgent(issuer), await request.url());
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce });
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe('openid');
    expect(tokens.claims()!.email).toBeUndefined();
  });

  it('logs out through the end-session endpoint: the session ends and post_logout_redirect_uri gets the state', async () => {
    const agent = new BrowserAgent(issuer);
    const request = authorizationRequest();
    const callback = await signIn(agent, await request.url());
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce });
    const logoutUrl = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://localhost:8080/bye', state: 'bye-state' });
    const out = await agent.navigate(logoutUrl.toString());
    expect(out.leftTo).toBe('http://localhost:8080/bye?state=bye-state');
    // The session is over: a new /authorize needs the login page again.
    const again = await agent.navigate((await authorizationRequest().url()).toString());
    expect(again.leftTo).toBeUndefined();
    expect(again.url).toMatch(/\/login\?request_id=/);
    expect(decodeJwt(tokens.id_token!).sid).toBeDefined();
  });
});
