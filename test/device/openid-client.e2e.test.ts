import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { introspect } from '../helpers/tokens.js';

/*
 * RFC 8628 end to end with a real relying party (openid-client v6, which polls with real timers)
 * and a "person" on another device (BrowserAgent over real HTTP): the device starts, the person
 * opens verification_uri_complete, confirms the code, signs in and allows; the device's poll
 * resolves with tokens that openid-client validates.
 */

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

/** The one form on a page: its action and every hidden field it posts. */
function formOf(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form[^>]*action="${action.replace(/[/?]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</form>`).exec(html);
  if (!form) throw new Error(`no form posting to ${action} in page:\n${html.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const match of form[1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!;
  return fields;
}

/**
 * The person's side: open the link the device shows, confirm the prefilled code, sign in (and
 * consent when asked), then answer on the approval page. Returns the final page and what it showed.
 */
async function personAnswers(issuer: string, verificationUriComplete: string, userCode: string, credentials: { username: string; password: string }, decision: 'allow' | 'deny') {
  const agent = new BrowserAgent(issuer);
  const entry = await agent.navigate(verificationUriComplete);
  expect(entry.response.status).toBe(200);
  const entryPage = await entry.response.text();
  expect(hiddenField(entryPage, 'user_code')).toBe(userCode); // prefilled, not submitted

  let step = await agent.submit('/device', { user_code: userCode, csrf_token: hiddenField(entryPage, 'csrf_token') });
  expect(step.leftTo).toBeUndefined();
  const visited: string[] = [new URL(step.url).pathname];
  let page = await step.response.text();
  if (new URL(step.url).pathname === '/login') {
    step = await agent.submit('/login', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), ...credentials });
    visited.push(new URL(step.url).pathname);
    page = await step.response.text();
  }
  if (new URL(step.url).pathname === '/consent') {
    step = await agent.submit('/consent', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), decision: 'allow' });
    visited.push(new URL(step.url).pathname);
    page = await step.response.text();
  }
  expect(new URL(step.url).pathname, page.slice(0, 500)).toBe('/device/approve');
  expect(step.response.status).toBe(200);
  const approval = page;
  const fields = formOf(approval, '/device/approve');
  expect(Object.keys(fields)).toEqual(expect.arrayContaining(['csrf_token', 'request_id']));
  const done = await agent.submit('/device/approve', { ...fields, decision });
  return { agent, visited, approval, done, result: await done.response.text() };
}

describe('device authorization grant with openid-client over real HTTP (RFC 8628)', { timeout: 60_000 }, () => {
  let server: TestServer;
  let issuer: string;
  let user: Awaited<ReturnType<typeof makeUser>>;
  let tv: { clientId: string };
  let gameConsole: { clientId: string; secret?: string };
  let publicConfig: client.Configuration;
  let confidentialConfig: client.Configuration;
  const db = () => server.database.db;

  beforeAll(async () => {
    server = await startTestServer({ DEVICE_POLL_INTERVAL: '1s', RATE_LIMIT_DEVICE: '0', RATE_LIMIT_LOGIN: '0' });
    issuer = server.url;
    user = await makeUser(db(), { username: 'couch', email: 'couch@example.com', name: 'Couch Potato' });
    tv = await makeClient(db(), { name: 'Living-room TV', type: 'public', grantTypes: [DEVICE_GRANT, 'refresh_token'] });
    gameConsole = await makeClient(db(), { name: 'Game console', type: 'confidential', grantTypes: [DEVICE_GRANT, 'refresh_token'] });
    publicConfig = await client.discovery(new URL(issuer), tv.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    confidentialConfig = await client.discovery(new URL(issuer), gameConsole.clientId, gameConsole.secret!, client.ClientSecretBasic(gameConsole.secret!), {
      execute: [client.allowInsecureRequests],
    });
  });
  afterAll(async () => server?.stop());

  it('discovery names the device authorization endpoint and the grant', async () => {
    const metadata = publicConfig.serverMetadata();
    expect(metadata.device_authorization_endpoint).toBe(`${issuer}/device_authorization`);
    expect(metadata.grant_types_supported).toContain(DEVICE_GRANT);
    const raw = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(raw.device_authorization_endpoint).toBe(`${issuer}/device_authorization`);
  });

  it('the device authorization response is RFC 8628 3.2 JSON with no-store', async () => {
    const response = await fetch(`${issuer}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: tv.clientId, scope: 'openid' }).toString(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toMatch(/no-store/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']);
    expect(body.device_code).toMatch(/^lk_dc_/);
    expect(body.user_code).toMatch(USER_CODE);
    expect(body.verification_uri).toBe(`${issuer}/device`);
    expect(body.verification_uri_complete).toBe(`${issuer}/device?user_code=${String(body.user_code)}`);
    expect(body.expires_in).toBe(600); // DEVICE_CODE_TTL default 10m
    expect(body.interval).toBe(1); // DEVICE_POLL_INTERVAL=1s
  });

  for (const kind of ['public', 'confidential (client_secret_basic)'] as const) {
    it(`a ${kind} client: initiate, the person allows, the poll resolves with validated tokens; userinfo and refresh work`, async () => {
      const config = kind === 'public' ? publicConfig : confidentialConfig;
      const clientId = kind === 'public' ? tv.clientId : gameConsole.clientId;
      const clientName = kind === 'public' ? 'Living-room TV' : 'Game console';
      const started = await client.initiateDeviceAuthorization(config, { scope: 'openid profile email offline_access' });
      expect(started.user_code).toMatch(USER_CODE);
      expect(started.verification_uri).toBe(`${issuer}/device`);
      expect(started.interval).toBe(1);

      // The device polls (real timers, 1 s apart) while the person answers on their phone.
      const polling = client.pollDeviceAuthorizationGrant(config, started, undefined, { signal: AbortSignal.timeout(30_000) });
      const person = await personAnswers(issuer, started.verification_uri_complete!, started.user_code, { username: 'couch', password: user.password }, 'allow');
      expect(person.visited).toEqual(['/login', '/device/approve']); // first party: no consent page
      expect(person.approval).toContain(started.user_code);
      expect(person.approval).toContain(clientName);
      for (const scope of ['openid', 'profile', 'email', 'offline_access']) expect(person.approval).toContain(`<code>${scope}</code>`);
      expect(person.done.response.status).toBe(200);
      expect(person.result).toMatch(/<h1>Device connected<\/h1>/);

      const tokens = await polling;
      expect(tokens.token_type).toBe('bearer');
      expect(tokens.scope).toBe('openid profile email offline_access');
      expect(tokens.refresh_token).toMatch(/^lk_rt_/);
      expect(tokens.expires_in).toBeGreaterThan(0);
      const claims = tokens.claims()!;
      expect(claims).toMatchObject({ iss: issuer, sub: user.id, aud: clientId, preferred_username: 'couch', email: 'couch@example.com' });
      expect(claims.nonce).toBeUndefined();
      expect(typeof claims.auth_time).toBe('number');
      expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);

      const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
      await jwtVerify(tokens.id_token!, jwks, { issuer, audience: clientId });
      const access = await jwtVerify(tokens.access_token, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
      expect(access.payload).toMatchObject({ sub: user.id, client_id: clientId, scope: 'openid profile email offline_access', sid: claims.sid });

      // The grant is a fresh family bound to the session that approved it.
      const grant = await db().selectFrom('grants').selectAll().where('client_id', '=', clientId).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      expect(grant.session_id).toBe(claims.sid);
      expect(grant.user_id).toBe(user.id);

      const info = await client.fetchUserInfo(config, tokens.access_token, user.id);
      expect(info).toMatchObject({ sub: user.id, preferred_username: 'couch', name: 'Couch Potato', email: 'couch@example.com' });

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.refresh_token).toMatch(/^lk_rt_/);
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect(decodeJwt(refreshed.access_token)).toMatchObject({ sub: user.id, client_id: clientId });
      if (kind !== 'public') expect(await introspect(issuer, gameConsole, refreshed.access_token)).toMatchObject({ active: true, sub: user.id, client_id: clientId });

      // Audit trail of the flow.
      const events = await db().selectFrom('audit_events').selectAll().where('client_id', '=', clientId).orderBy('id', 'asc').execute();
      const types = events.map((event) => event.type);
      expect(types).toContain('device_authorization_created');
      expect(types).toContain('device_authorization_approved');
      const created = events.findLast((event) => event.type === 'device_authorization_created')!;
      expect(created.details).toMatchObject({ scope: 'openid profile email offline_access' });
      const issued = events.filter((event) => event.type === 'token_issued' && (event.details as Record<string, unknown>).grant === DEVICE_GRANT);
      expect(issued.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(events)).not.toMatch(/lk_dc_|lk_rt_|eyJ/);
      expect(JSON.stringify(events)).not.toContain(started.user_code.replace('-', ''));
    });
  }

  it('without a scope parameter the device gets the client\'s registered scopes; without offline_access no refresh token', async () => {
    const limited = await makeClient(db(), { name: 'Speaker', type: 'public', grantTypes: [DEVICE_GRANT], scopes: ['openid', 'profile'] });
    const config = await client.discovery(new URL(issuer), limited.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const started = await client.initiateDeviceAuthorization(config, {});
    const polling = client.pollDeviceAuthorizationGrant(config, started, undefined, { signal: AbortSignal.timeout(30_000) });
    const person = await personAnswers(issuer, started.verification_uri_complete!, started.user_code, { username: 'couch', password: user.password }, 'allow');
    expect(person.result).toContain('Device connected');
    const tokens = await polling;
    expect(tokens.scope).toBe('openid profile');
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.claims()!.sub).toBe(user.id);
  });

  it('a denial ends the poll with access_denied', async () => {
    const started = await client.initiateDeviceAuthorization(publicConfig, { scope: 'openid' });
    const polling = client.pollDeviceAuthorizationGrant(publicConfig, started, undefined, { signal: AbortSignal.timeout(30_000) });
    const outcome = polling.then(
      () => ({ error: 'none' }),
      (error: unknown) => ({ error: error instanceof client.ResponseBodyError ? error.error : String(error) }),
    );
    const person = await personAnswers(issuer, started.verification_uri_complete!, started.user_code, { username: 'couch', password: user.password }, 'deny');
    expect(person.done.response.status).toBe(200);
    expect(person.result).toMatch(/<h1>Request denied<\/h1>/);
    expect(await outcome).toEqual({ error: 'access_denied' });
  });

  it('a resource the client registered becomes the access token audience (RFC 8707)', async () => {
    const api = 'https://api.example.com/';
    const withApi = await makeClient(db(), { name: 'Fridge', type: 'public', grantTypes: [DEVICE_GRANT], resources: [api], scopes: ['openid'] });
    const config = await client.discovery(new URL(issuer), withApi.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid', resource: api });
    const polling = client.pollDeviceAuthorizationGrant(config, started, undefined, { signal: AbortSignal.timeout(30_000) });
    await personAnswers(issuer, started.verification_uri_complete!, started.user_code, { username: 'couch', password: user.password }, 'allow');
    const tokens = await polling;
    expect(decodeJwt(tokens.access_token).aud).toBe(api);

    const refused = await fetch(`${issuer}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: withApi.clientId, scope: 'openid', resource: 'https://elsewhere.example.com/' }).toString(),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_target');
  });
});
