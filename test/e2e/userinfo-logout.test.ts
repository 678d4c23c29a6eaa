import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, obtainCode, pkcePair, postForm } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';

const REDIRECT = 'https://app.example.com/callback';
const AFTER_LOGOUT = 'https://app.example.com/signed-out';

interface Tokens {
  access_token: string;
  id_token?: string;
}

describe('userinfo and logout', () => {
  let server: TestServer;
  const clock = new ManualClock();
  let app: { clientId: string; secret?: string };
  let otherApp: { clientId: string; secret?: string };
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    server = await startTestServer({}, undefined, { clock });
    const db = server.database.db;
    user = await makeUser(db, { username: 'frank', email: 'frank@example.com', name: 'Frank' });
    app = await makeClient(db, { redirectUris: [REDIRECT], postLogoutRedirectUris: [AFTER_LOGOUT] });
    otherApp = await makeClient(db, { redirectUris: [REDIRECT], postLogoutRedirectUris: ['https://other.example.com/bye'] });
  });
  afterAll(async () => server?.stop());

  async function signIn(agent: BrowserAgent, scope = 'openid profile email', client = app): Promise<Tokens> {
    const pkce = pkcePair();
    const { code } = await obtainCode(agent, server.url, authorizeParams(client.clientId, REDIRECT, pkce, { scope }), 'frank', user.password);
    const response = await postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT }, { authorization: basicAuth(client.clientId, client.secret!) });
    expect(response.status).toBe(200);
    return (await response.json()) as Tokens;
  }

  const userinfo = (headers: Record<string, string>) => fetch(`${server.url}/userinfo`, { headers });

  describe('/userinfo', () => {
    it('releases claims by scope, over GET and POST', async () => {
      const tokens = await signIn(new BrowserAgent(server.url), 'openid email');
      const viaGet = await userinfo({ authorization: `Bearer ${tokens.access_token}` });
      expect(viaGet.status).toBe(200);
      expect(viaGet.headers.get('cache-control')).toBe('no-store');
      expect(await viaGet.json()).toEqual({ sub: user.id, email: 'frank@example.com', email_verified: false });
      const viaPost = await postForm(`${server.url}/userinfo`, { access_token: tokens.access_token });
      expect(await viaPost.json()).toEqual({ sub: user.id, email: 'frank@example.com', email_verified: false });
    });

    it('answers 401 with a Bearer and a DPoP challenge without a token', async () => {
      const response = await userinfo({});
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="latchkey", DPoP algs="ES256 ES384 EdDSA Ed25519 RS256 PS256"');
    });

    it.each([
      ['garbage', 'Bearer not.a.jwt'],
      ['a token signed by someone else', 'FORGED'],
      ['an empty bearer', 'Bearer '],
      ['another scheme', 'Basic abc'],
    ])('answers invalid_token or invalid_request for %s', async (_label, header) => {
      let value = header;
      if (header === 'FORGED') {
        const { privateKey } = await generateKeyPair('ES256');
        const forged = await new SignJWT({ scope: 'openid', client_id: app.clientId, jti: 'x' })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'forged' })
          .setIssuer(server.url).setAudience(server.url).setSubject(user.id).setIssuedAt().setExpirationTime('5m')
          .sign(privateKey);
        value = `Bearer ${forged}`;
      }
      const response = await userinfo({ authorization: value });
      expect([400, 401]).toContain(response.status);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="latchkey", error="(invalid_token|invalid_request)"/);
      expect(((await response.json()) as { error: string }).error).toMatch(/^(invalid_token|invalid_request)$/);
    });

    it('refuses an ID token used as an access token', async () => {
      const tokens = await signIn(new BrowserAgent(server.url));
      const response = await userinfo({ authorization: `Bearer ${tokens.id_token}` });
      expect(response.status).toBe(401);
    });

    it('answers 403 insufficient_scope for a token without openid', async () => {
      const tokens = await signIn(new BrowserAgent(server.url), 'profile');
      const response = await userinfo({ authorization: `Bearer ${tokens.access_token}` });
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    });

    it('refuses an expired token and a disabled user', async () => {
      const tokens = await signIn(new BrowserAgent(server.url));
      clock.advance((600 + 31) * 1000);
      expect((await userinfo({ authorization: `Bearer ${tokens.access_token}` })).status).toBe(401);
      const fresh = await signIn(new BrowserAgent(server.url));
      await server.database.db.updateTable('users').set({ disabled: true }).where('id', '=', user.id).execute();
      try {
        expect((await userinfo({ authorization: `Bearer ${fresh.access_token}` })).status).toBe(401);
      } finally {
        await server.database.db.updateTable('users').set({ disabled: false }).where('id', '=', user.id).execute();
      }
    });
  });

  describe('/logout', () => {
    it('ends the session and returns to the registered post_logout_redirect_uri with state, even with an expired hint', async () => {
      const agent = new BrowserAgent(server.url);
      const tokens = await signIn(agent);
      clock.advance((3 * 3600) * 1000); // the ID token expired long ago; the session's idle limit (1 h) has passed too
      const url = new URL('/logout', server.url);
      url.searchParams.set('id_token_hint', tokens.id_token!);
      url.searchParams.set('post_logout_redirect_uri', AFTER_LOGOUT);
      url.searchParams.set('state', 'xyz 1');
      const response = await agent.fetch(url.toString());
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`${AFTER_LOGOUT}?state=xyz+1`);
      const sid = String(decodeJwt(tokens.id_token!).sid);
      const session = await server.database.db.selectFrom('login_sessions').select(['ended_at']).where('id', '=', sid).executeTakeFirstOrThrow();
      expect(session.ended_at).toBeInstanceOf(Date);
    });

    it('ends the browser session once the user confirms: the next /authorize shows the login page', async () => {
      const agent = new BrowserAgent(server.url);
      await signIn(agent);
      const ask = await agent.navigate(`${server.url}/logout`);
      expect(ask.response.status).toBe(200);
      const out = await agent.submit('/logout', { csrf_token: hiddenField(await ask.response.text(), 'csrf_token'), decision: 'sign_out' });
      expect(out.response.status).toBe(200);
      expect(await out.response.text()).toContain('Signed out');
      const again = await agent.navigate(authorizeUrl(server.url, authorizeParams(app.clientId, REDIRECT, pkcePair())));
      expect(again.url).toMatch(/\/login\?request_id=/);
    });

    it.each([
      ['an unregistered post_logout_redirect_uri', { post_logout_redirect_uri: 'https://evil.example/' }],
      ['another client’s post_logout_redirect_uri', { post_logout_redirect_uri: 'https://other.example.com/bye' }],
      ['a redirect without any client', { post_logout_redirect_uri: AFTER_LOGOUT, id_token_hint: undefined }],
      ['a forged id_token_hint', { id_token_hint: 'eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4IiwiaWF0IjoxfQ.', post_logout_redirect_uri: AFTER_LOGOUT }],
      ['a hint whose audience differs from client_id', { client_id: 'OTHER', post_logout_redirect_uri: AFTER_LOGOUT }],
    ])('shows an error page and never redirects for %s', async (_label, extra) => {
      const tokens = await signIn(new BrowserAgent(server.url));
      const url = new URL('/logout', server.url);
      const params: Record<string, string | undefined> = { id_token_hint: tokens.id_token, ...extra };
      if (params.client_id === 'OTHER') params.client_id = otherApp.clientId;
      for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    });
  });
});
