import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, logIn, obtainCode, pkcePair, postForm, type PkcePair } from '../helpers/flow.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { jsonb } from '../../src/db/json.js';
import { deleteClientRow, updateClientRow } from '../helpers/client-rows.js';
import { sha256Hex } from '../../src/opaque-token.js';
import { introspect, refresh, type ClientCredentials, type TokenSet } from '../helpers/tokens.js';

/*
 * Shrinking a client (a redirect URI or a scope removed, the client deleted) reaches what is
 * already in flight: parked /authorize requests, issued codes and refresh families.
 */

const KEPT = 'https://app.example.com/cb';
const REMOVED = 'https://old.example.com/cb';
const ALL_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const PASSWORD = 'correct horse battery staple';

describe('shrinking a client reaches requests in flight', () => {
  let server: TestServer;
  let app: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;
  const db = () => server.database.db;

  /** What an admin does with `PATCH /admin/clients/:id`, straight in the clients table. */
  async function shrink(clientId: string, change: { redirectUris?: string[]; scopes?: string[] }) {
    await updateClientRow(server, clientId, {
      ...(change.redirectUris ? { redirect_uris: jsonb(change.redirectUris) } : {}),
      ...(change.scopes ? { scopes: jsonb(change.scopes) } : {}),
    });
  }

  /** Starts /authorize without a session: the request is parked and the login page shown. */
  async function parkAtLogin(agent: BrowserAgent, params: Record<string, string | undefined>) {
    const start = await agent.navigate(authorizeUrl(server.url, params));
    expect(start.leftTo).toBeUndefined();
    expect(start.response.status).toBe(200);
    const page = await start.response.text();
    return { csrf: hiddenField(page, 'csrf_token'), requestId: hiddenField(page, 'request_id') };
  }

  const submitLogin = (agent: BrowserAgent, parked: { csrf: string; requestId: string }) =>
    agent.submit('/login', { csrf_token: parked.csrf, request_id: parked.requestId, username: user.username, password: PASSWORD });

  const exchange = (code: string, pkce: PkcePair, redirectUri = KEPT) =>
    postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: redirectUri }, { authorization: basicAuth(app.clientId, app.secret!) });

  async function codeCount(): Promise<number> {
    const rows = await db().selectFrom('auth_codes').select('code_hash').where('client_id', '=', app.clientId).execute();
    return rows.length;
  }

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0' });
    user = await makeUser(db(), { username: 'shrinky', password: PASSWORD, email: 'shrinky@example.com' });
  });
  beforeEach(async () => {
    app = await makeClient(db(), { redirectUris: [KEPT, REMOVED], scopes: ALL_SCOPES });
  });
  afterAll(async () => server?.stop());

  describe('an audience the client gave up', () => {
    const API = 'https://api.example.com';
    const dropResource = () => updateClientRow(server, app.clientId, { resources: jsonb([]) });

    beforeEach(async () => {
      await updateClientRow(server, app.clientId, { resources: jsonb([API]) });
    });

    it('a family for it refreshes no more (invalid_grant, nothing consumed), and a code for it yields no tokens', async () => {
      const pkce = pkcePair();
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, KEPT, pkce, { resource: API }), user.username, PASSWORD);
      const tokens = (await (await exchange(code, pkce)).json()) as TokenSet;
      expect(decodeJwt(tokens.access_token).aud).toBe(API);

      const laterPkce = pkcePair();
      const { code: laterCode } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, KEPT, laterPkce, { resource: API }), user.username, PASSWORD);
      await dropResource();

      const refreshed = await refresh(server.url, app, tokens.refresh_token!);
      expect(refreshed.status).toBe(400);
      expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
      const row = await db().selectFrom('refresh_tokens').select('consumed_at').where('token_hash', '=', sha256Hex(tokens.refresh_token!)).executeTakeFirstOrThrow();
      expect(row.consumed_at).toBeNull();

      const exchanged = await exchange(laterCode, laterPkce);
      expect(exchanged.status).toBe(400);
      expect(((await exchanged.json()) as { error: string }).error).toBe('invalid_grant');
    });

    it('a client_credentials token for it introspects inactive', async () => {
      const service = await makeClient(db(), { grantTypes: ['client_credentials'], scopes: ['orders'], resources: [API] });
      const issued = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: API }, { authorization: basicAuth(service.clientId, service.secret!) });
      const { access_token: token } = (await issued.json()) as { access_token: string };
      expect(await introspect(server.url, app, token)).toMatchObject({ active: true, aud: API });
      await updateClientRow(server, service.clientId, { resources: jsonb([]) });
      expect(await introspect(server.url, app, token)).toEqual({ active: false });
    });
  });

  describe('a parked /authorize request, resumed after login', () => {
    it('answers an HTML 400 and issues no code when its redirect URI was removed meanwhile', async () => {
      const agent = new BrowserAgent(server.url);
      const parked = await parkAtLogin(agent, authorizeParams(app.clientId, REMOVED, pkcePair()));
      await shrink(app.clientId, { redirectUris: [KEPT] });

      const result = await submitLogin(agent, parked);
      expect(result.leftTo).toBeUndefined();
      expect(result.response.status).toBe(400);
      expect(result.response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(result.response.headers.get('location')).toBeNull();
      expect(await result.response.text()).not.toContain('old.example.com');
      expect(await codeCount()).toBe(0);
    });

    it('leaves out a scope the client lost meanwhile, and the tokens carry only what remains', async () => {
      const agent = new BrowserAgent(server.url);
      const pkce = pkcePair();
      const parked = await parkAtLogin(agent, authorizeParams(app.clientId, KEPT, pkce, { scope: 'openid profile email offline_access' }));
      await shrink(app.clientId, { scopes: ['openid', 'profile', 'offline_access'] });

      const result = await submitLogin(agent, parked);
      expect(result.leftTo).toMatch(/^https:\/\/app\.example\.com\/cb\?/);
      const code = new URL(result.leftTo!).searchParams.get('code')!;
      const response = await exchange(code, pkce);
      expect(response.status).toBe(200);
      const tokens = (await response.json()) as TokenSet;
      expect(tokens.scope.split(' ').sort()).toEqual(['offline_access', 'openid', 'profile']);
      expect(decodeJwt(tokens.access_token).scope).toBe('openid profile offline_access');
      expect(decodeJwt(tokens.id_token!).email).toBeUndefined();
    });

    it('sends invalid_scope (with state) to the still-registered redirect URI when nothing requested remains', async () => {
      const agent = new BrowserAgent(server.url);
      const params = authorizeParams(app.clientId, KEPT, pkcePair(), { scope: 'email' });
      const parked = await parkAtLogin(agent, params);
      await shrink(app.clientId, { scopes: ['openid', 'profile', 'offline_access'] });

      const result = await submitLogin(agent, parked);
      expect(result.leftTo).toBeDefined();
      const callback = new URL(result.leftTo!);
      expect(callback.origin + callback.pathname).toBe(KEPT);
      expect(callback.searchParams.get('error')).toBe('invalid_scope');
      expect(callback.searchParams.get('state')).toBe(params.state);
      expect(callback.searchParams.get('code')).toBeNull();
      expect(await codeCount()).toBe(0);
    });

    it('answers an HTML 400 when the client was deleted meanwhile', async () => {
      const agent = new BrowserAgent(server.url);
      const parked = await parkAtLogin(agent, authorizeParams(app.clientId, KEPT, pkcePair()));
      await deleteClientRow(server, app.clientId);

      const result = await submitLogin(agent, parked);
      expect(result.leftTo).toBeUndefined();
      expect(result.response.status).toBe(400);
      expect(result.response.headers.get('content-type')).toMatch(/^text\/html/);
    });

    it('on the consent page: a deny never redirects to a redirect URI removed meanwhile, and no consent is recorded for a lost scope', async () => {
      const thirdParty = await makeClient(db(), { redirectUris: [KEPT, REMOVED], scopes: ALL_SCOPES, thirdParty: true });
      const agent = new BrowserAgent(server.url);
      const consentAt = await logIn(agent, authorizeUrl(server.url, authorizeParams(thirdParty.clientId, REMOVED, pkcePair())), user.username, PASSWORD);
      expect(consentAt.url).toContain('/consent');
      const page = await consentAt.response.text();
      const fields = { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id') };
      await shrink(thirdParty.clientId, { redirectUris: [KEPT] });

      const denied = await agent.submit('/consent', { ...fields, decision: 'deny' });
      expect(denied.leftTo).toBeUndefined();
      expect(denied.response.status).toBe(400);
      const allowed = await agent.submit('/consent', { ...fields, decision: 'allow' });
      expect(allowed.leftTo).toBeUndefined();
      expect(allowed.response.status).toBe(400);
      const codes = await db().selectFrom('auth_codes').select('code_hash').where('client_id', '=', thirdParty.clientId).execute();
      expect(codes).toHaveLength(0);

      // Same request, the redirect URI kept but a scope lost: the consent covers only what remains.
      const second = new BrowserAgent(server.url);
      const atConsent = await logIn(second, authorizeUrl(server.url, authorizeParams(thirdParty.clientId, KEPT, pkcePair())), user.username, PASSWORD);
      const consentPage = await atConsent.response.text();
      await shrink(thirdParty.clientId, { scopes: ['openid', 'profile', 'offline_access'] });
      const granted = await second.submit('/consent', { csrf_token: hiddenField(consentPage, 'csrf_token'), request_id: hiddenField(consentPage, 'request_id'), decision: 'allow' });
      expect(granted.leftTo).toMatch(/^https:\/\/app\.example\.com\/cb\?code=/);
      const consent = await db().selectFrom('consents').select('scopes').where('client_id', '=', thirdParty.clientId).executeTakeFirstOrThrow();
      expect([...consent.scopes].sort()).toEqual(['offline_access', 'openid', 'profile']);
    });
  });

  describe('an issued code, at the exchange', () => {
    it('is refused with invalid_grant when its redirect URI was removed after it was issued', async () => {
      const pkce = pkcePair();
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, REMOVED, pkce), user.username, PASSWORD);
      await shrink(app.clientId, { redirectUris: [KEPT] });

      const response = await exchange(code, pkce, REMOVED);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
      const grants = await db().selectFrom('grants').select('id').where('client_id', '=', app.clientId).execute();
      expect(grants).toHaveLength(0);
    });

    it('yields only the scopes the client still has, in the tokens and in the stored grant', async () => {
      const pkce = pkcePair();
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, KEPT, pkce), user.username, PASSWORD);
      await shrink(app.clientId, { scopes: ['openid', 'profile', 'offline_access'] });

      const response = await exchange(code, pkce);
      expect(response.status).toBe(200);
      const tokens = (await response.json()) as TokenSet;
      expect(tokens.scope).toBe('openid profile offline_access');
      expect(decodeJwt(tokens.access_token).scope).toBe('openid profile offline_access');
      expect(decodeJwt(tokens.id_token!).email).toBeUndefined();
      const grant = await db().selectFrom('grants').select('scope').where('client_id', '=', app.clientId).executeTakeFirstOrThrow();
      expect(grant.scope).toBe('openid profile offline_access');
    });

    it('is refused with invalid_grant when none of its scopes remain', async () => {
      const pkce = pkcePair();
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, KEPT, pkce, { scope: 'email' }), user.username, PASSWORD);
      await shrink(app.clientId, { scopes: ['openid', 'profile'] });
      const response = await exchange(code, pkce);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
    });
  });

  describe('a refresh family', () => {
    async function family() {
      const pkce = pkcePair();
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, KEPT, pkce), user.username, PASSWORD);
      const response = await exchange(code, pkce);
      expect(response.status).toBe(200);
      return (await response.json()) as TokenSet;
    }

    it('keeps only the scopes its client still has: response, access token, ID token and stored grant', async () => {
      const first = await family();
      expect(first.scope).toBe('openid profile email offline_access');
      await shrink(app.clientId, { scopes: ['openid', 'profile', 'offline_access'] });

      const response = await refresh(server.url, app, first.refresh_token!);
      expect(response.status).toBe(200);
      const next = (await response.json()) as TokenSet;
      expect(next.scope).toBe('openid profile offline_access');
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(next.access_token, jwks, { issuer: server.url, typ: 'at+jwt' });
      expect(payload.scope).toBe('openid profile offline_access');
      expect(decodeJwt(next.id_token!).email).toBeUndefined();
      const { grant_id } = await db().selectFrom('refresh_tokens').select('grant_id').where('token_hash', '=', sha256Hex(next.refresh_token!)).executeTakeFirstOrThrow();
      const grant = await db().selectFrom('grants').select('scope').where('id', '=', grant_id).executeTakeFirstOrThrow();
      expect(grant.scope).toBe('openid profile offline_access');

      // Re-adding the scope later does not bring it back to this family.
      await shrink(app.clientId, { scopes: ALL_SCOPES });
      const later = (await (await refresh(server.url, app, next.refresh_token!)).json()) as TokenSet;
      expect(later.scope).toBe('openid profile offline_access');
    });

    it('introspection of the refresh token answers as /token would: narrowed scope, then inactive once the grant is gone', async () => {
      const first = await family();
      await shrink(app.clientId, { scopes: ['openid', 'profile', 'offline_access'] });
      expect(await introspect(server.url, app, first.refresh_token!)).toMatchObject({ active: true, scope: 'openid profile offline_access' });
      await updateClientRow(server, app.clientId, { grant_types: jsonb(['authorization_code']) });
      expect(await introspect(server.url, app, first.refresh_token!)).toEqual({ active: false });
    });

    it('a client that lost offline_access (and does not always issue refresh tokens) refreshes no more, consuming nothing', async () => {
      const first = await family();
      await shrink(app.clientId, { scopes: ['openid', 'profile', 'email'] });
      const response = await refresh(server.url, app, first.refresh_token!);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
      const row = await db().selectFrom('refresh_tokens').select('consumed_at').where('token_hash', '=', sha256Hex(first.refresh_token!)).executeTakeFirstOrThrow();
      expect(row.consumed_at).toBeNull();
    });

    it('refuses a requested scope the client no longer has with invalid_scope, consuming nothing', async () => {
      const first = await family();
      await shrink(app.clientId, { scopes: ['openid', 'profile', 'offline_access'] });

      const asked = await refresh(server.url, app, first.refresh_token!, { scope: 'openid email' });
      expect(asked.status).toBe(400);
      expect(((await asked.json()) as { error: string }).error).toBe('invalid_scope');
      const row = await db().selectFrom('refresh_tokens').select('consumed_at').where('token_hash', '=', sha256Hex(first.refresh_token!)).executeTakeFirstOrThrow();
      expect(row.consumed_at).toBeNull();
      expect((await refresh(server.url, app, first.refresh_token!)).status).toBe(200);
    });

    it('a family left with none of its scopes refreshes no more (invalid_grant), and is not consumed', async () => {
      const pkce = pkcePair();
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, KEPT, pkce, { scope: 'email offline_access' }), user.username, PASSWORD);
      const first = (await (await exchange(code, pkce)).json()) as TokenSet;
      expect(first.refresh_token).toMatch(/^lk_rt_/);
      await shrink(app.clientId, { scopes: ['openid', 'profile'] });

      const response = await refresh(server.url, app, first.refresh_token!);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
      const row = await db().selectFrom('refresh_tokens').select('consumed_at').where('token_hash', '=', sha256Hex(first.refresh_token!)).executeTakeFirstOrThrow();
      expect(row.consumed_at).toBeNull();
    });

    it('a grace replay is narrowed too', async () => {
      const first = await family();
      const a = await refresh(server.url, app, first.refresh_token!);
      expect(a.status).toBe(200);
      await shrink(app.clientId, { scopes: ['openid', 'offline_access'] });
      const replay = await refresh(server.url, app, first.refresh_token!);
      expect(replay.status).toBe(200);
      const tokens = (await replay.json()) as TokenSet;
      expect(tokens.scope).toBe('openid offline_access');
      expect(decodeJwt(tokens.access_token).scope).toBe('openid offline_access');
    });

    it('shrinking through the admin API reaches the family', async () => {
      const first = await family();
      const admin = adminFetch(server, (await adminToken(server)).token);
      const current = await admin('GET', `/admin/clients/${app.clientId}`);
      expect(current.status).toBe(200);
      const patched = await admin('PATCH', `/admin/clients/${app.clientId}`, { scopes: ['openid', 'offline_access'] });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);

      const response = await refresh(server.url, app, first.refresh_token!);
      expect(response.status).toBe(200);
      expect(((await response.json()) as TokenSet).scope).toBe('openid offline_access');
    });
  });
});
