import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, logIn, obtainCode, pkcePair, postForm } from '../helpers/flow.js';
import { clientAuth, loginTokens, refresh, type ClientCredentials, type TokenSet } from '../helpers/tokens.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { auditCursor, auditRows, jwtPayload, SECRET_MARKERS, type AuditRow } from './support.js';

const REDIRECT = 'https://app.example.com/cb';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function tokensOf(response: Response): Promise<TokenSet> {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as TokenSet;
}

function only(rows: AuditRow[], type: string): AuditRow {
  const matching = rows.filter((row) => row.type === type);
  expect(matching, `${type} among ${JSON.stringify(rows.map((r) => r.type))}`).toHaveLength(1);
  return matching[0]!;
}

describe('audit events from the real endpoints', () => {
  let server: TestServer;
  let cursor: ReturnType<typeof auditCursor>;
  let app: ClientCredentials;
  let partner: ClientCredentials;
  let service: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;
  let locked: Awaited<ReturnType<typeof makeUser>>;
  let disabled: Awaited<ReturnType<typeof makeUser>>;
  /** Every credential and token the tests see; none may reach an audit row. */
  const secrets: string[] = [];
  const keep = (...values: (string | undefined)[]) => {
    for (const value of values) if (value) secrets.push(value);
  };
  const url = (client: ClientCredentials, extra: Record<string, string> = {}) =>
    authorizeUrl(server.url, authorizeParams(client.clientId, REDIRECT, pkcePair(), { scope: 'openid email offline_access', ...extra }));
  const keepCookies = (agent: BrowserAgent) => keep(...agent.cookies.values());

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '0', RATE_LIMIT_TOKEN: '0', LOGIN_LOCKOUT_THRESHOLD: '2' });
    const db = server.database.db;
    user = await makeUser(db, { username: 'audit-alice', password: 'alice password 1' });
    locked = await makeUser(db, { username: 'audit-lucy', password: 'lucy password 2' });
    disabled = await makeUser(db, { username: 'audit-dave', password: 'dave password 3' });
    await db.updateTable('users').set({ disabled: true }).where('id', '=', disabled.id).execute();
    app = await makeClient(db, { redirectUris: [REDIRECT] });
    partner = await makeClient(db, { name: 'Partner', redirectUris: [REDIRECT], thirdParty: true });
    service = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['orders:read', 'orders:write'] });
    keep(user.password, locked.password, disabled.password, app.secret, partner.secret, service.secret);
    cursor = auditCursor(db);
    await cursor.skip(); // key events from start-up
  });
  afterAll(async () => server?.stop());

  it('login_succeeded and token_issued (authorization_code) for a sign-in and code exchange', async () => {
    const pkce = pkcePair();
    const agent = new BrowserAgent(server.url);
    const { code } = await obtainCode(agent, server.url, authorizeParams(app.clientId, REDIRECT, pkce), 'audit-alice', user.password);
    keepCookies(agent);
    keep(code);
    const tokens = await tokensOf(await postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT }, clientAuth(app)));
    keep(tokens.access_token, tokens.refresh_token, tokens.id_token, pkce.verifier);

    const rows = await cursor.next();
    expect(rows.map((r) => r.type)).toEqual(['login_succeeded', 'token_issued']);
    const login = only(rows, 'login_succeeded');
    expect(login).toMatchObject({ user_id: user.id, client_id: app.clientId, ip: '127.0.0.1' });
    expect(login.details).toEqual({ sessionId: expect.stringMatching(UUID), amr: 'pwd' });
    const session = await server.database.db.selectFrom('login_sessions').select('user_id').where('id', '=', String(login.details.sessionId)).executeTakeFirstOrThrow();
    expect(session.user_id).toBe(user.id);

    const issued = only(rows, 'token_issued');
    expect(issued).toMatchObject({ user_id: user.id, client_id: app.clientId, ip: '127.0.0.1' });
    expect(issued.details).toEqual({
      grant: 'authorization_code',
      grantId: expect.stringMatching(UUID),
      jti: jwtPayload(tokens.access_token).jti,
      scope: 'openid profile email offline_access',
      refreshToken: true,
    });
    const grant = await server.database.db.selectFrom('grants').select(['user_id', 'client_id']).where('id', '=', String(issued.details.grantId)).executeTakeFirstOrThrow();
    expect(grant).toEqual({ user_id: user.id, client_id: app.clientId });
  });

  it('login_failed keeps the internal reason, with the user id only for an existing account', async () => {
    const attempt = async (username: string, password: string) => {
      const agent = new BrowserAgent(server.url);
      const result = await logIn(agent, url(app), username, password);
      expect(result.leftTo).toBeUndefined();
      expect(await result.response.text()).toContain('Incorrect username or password.');
      keepCookies(agent);
    };
    // "a password typed into the username field" must not be recorded
    const typoUsername = 'my-Secret-Passw0rd!';
    keep(typoUsername, 'wrong password');
    await attempt(typoUsername, 'wrong password');
    await attempt('audit-alice', 'wrong password');
    await attempt('audit-dave', disabled.password);
    await attempt('audit-lucy', 'wrong password');
    await attempt('audit-lucy', 'wrong password'); // reaches the threshold of 2: locked
    await attempt('audit-lucy', locked.password);

    const rows = await cursor.next();
    expect(rows.map((r) => [r.type, r.user_id, r.client_id, r.details])).toEqual([
      ['login_failed', null, app.clientId, { reason: 'unknown_user' }],
      ['login_failed', user.id, app.clientId, { reason: 'bad_password' }],
      ['login_failed', disabled.id, app.clientId, { reason: 'disabled' }],
      ['login_failed', locked.id, app.clientId, { reason: 'bad_password' }],
      ['login_failed', locked.id, app.clientId, { reason: 'bad_password' }],
      ['login_failed', locked.id, app.clientId, { reason: 'locked' }],
    ]);
    expect(JSON.stringify(rows)).not.toContain('my-Secret');
  });

  it('consent_given when the user allows a third-party client, consent_revoked when it is withdrawn', async () => {
    const agent = new BrowserAgent(server.url);
    const afterLogin = await logIn(agent, url(partner, { scope: 'openid email' }), 'audit-alice', user.password);
    expect(afterLogin.url).toMatch(/\/consent\?request_id=/);
    const page = await afterLogin.response.text();
    const allowed = await agent.submit('/consent', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), decision: 'allow' });
    const code = new URL(allowed.leftTo!).searchParams.get('code')!;
    keep(code, hiddenField(page, 'csrf_token'));
    keepCookies(agent);

    const rows = await cursor.next();
    expect(rows.map((r) => r.type)).toEqual(['login_succeeded', 'consent_given']);
    expect(only(rows, 'consent_given')).toMatchObject({ user_id: user.id, client_id: partner.clientId, actor_client_id: null, details: { scope: 'openid email' } });

    // withdrawn through the admin API (which calls revokeConsent and records the event)
    const admin = await adminToken(server);
    keep(admin.token, admin.secret);
    await cursor.next(); // the admin token's own token_issued
    const call = adminFetch(server, admin.token);
    expect((await call('DELETE', `/admin/users/${user.id}/consents/${partner.clientId}`)).body).toEqual({ revoked: true });
    expect((await call('DELETE', `/admin/users/${user.id}/consents/${partner.clientId}`)).status).toBe(404); // nothing left: no second row
    const revoked = (await cursor.next()).filter((row) => row.type === 'consent_revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ user_id: user.id, client_id: partner.clientId, actor_client_id: admin.clientId, ip: '127.0.0.1' });
  });

  it('logout records the ended session, its user and the client', async () => {
    const agent = new BrowserAgent(server.url);
    await logIn(agent, url(app), 'audit-alice', user.password);
    keepCookies(agent);
    await cursor.next();
    const ask = await agent.navigate(`${server.url}/logout?client_id=${encodeURIComponent(app.clientId)}`);
    expect(await cursor.next()).toEqual([]); // asking ends nothing
    const out = await agent.submit('/logout', { csrf_token: hiddenField(await ask.response.text(), 'csrf_token'), client_id: app.clientId, decision: 'sign_out' });
    expect(out.response.status).toBe(200);
    const rows = await cursor.next();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'logout', user_id: user.id, client_id: app.clientId, details: { sessionId: expect.stringMatching(UUID) } });
    const session = await server.database.db.selectFrom('login_sessions').select(['user_id', 'ended_at']).where('id', '=', String(rows[0]!.details.sessionId)).executeTakeFirstOrThrow();
    expect(session.user_id).toBe(user.id);
    expect(session.ended_at).not.toBeNull();

    // nothing to end: no event
    await agent.navigate(`${server.url}/logout`);
    expect(await cursor.next()).toEqual([]);
  });

  it('token_issued for each refresh (also in the grace window); refresh_reuse_detected on reuse', async () => {
    const first = await loginTokens(server.url, app, REDIRECT, 'audit-alice', user.password);
    keep(first.access_token, first.refresh_token, first.id_token);
    const initial = only(await cursor.next(), 'token_issued');
    const grantId = initial.details.grantId;

    const second = await tokensOf(await refresh(server.url, app, first.refresh_token!));
    keep(second.access_token, second.refresh_token, second.id_token);
    let rows = await cursor.next();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'token_issued', user_id: user.id, client_id: app.clientId, ip: '127.0.0.1' });
    expect(rows[0]!.details).toEqual({ grant: 'refresh_token', grantId, jti: jwtPayload(second.access_token).jti, scope: 'openid profile offline_access' });

    // narrower scope on request
    const third = await tokensOf(await refresh(server.url, app, second.refresh_token!, { scope: 'openid offline_access' }));
    keep(third.access_token, third.refresh_token, third.id_token);
    rows = await cursor.next();
    expect(rows[0]!.details).toMatchObject({ grant: 'refresh_token', grantId, jti: jwtPayload(third.access_token).jti, scope: 'openid offline_access' });

    // the latest consumed token again, inside the grace window (another tab)
    const tab = await tokensOf(await refresh(server.url, app, second.refresh_token!));
    keep(tab.access_token, tab.refresh_token, tab.id_token);
    rows = await cursor.next();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.details).toEqual({ grant: 'refresh_token', grantId, jti: jwtPayload(tab.access_token).jti, scope: 'openid profile offline_access', grace: true });

    // an older consumed token: the family is revoked
    const reuse = await refresh(server.url, app, first.refresh_token!);
    expect(reuse.status).toBe(400);
    rows = await cursor.next();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'refresh_reuse_detected', user_id: user.id, client_id: app.clientId, details: { grantId } });

    // refused refreshes issue nothing and write nothing more
    expect((await refresh(server.url, app, third.refresh_token!)).status).toBe(400);
    expect(await cursor.next()).toEqual([]);
  });

  it('token_issued (client_credentials) with the jti, scope and audience, and no user', async () => {
    const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'orders:read' }, { authorization: basicAuth(service.clientId, service.secret!) });
    const tokens = await tokensOf(response);
    keep(tokens.access_token);
    const rows = await cursor.next();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'token_issued', user_id: null, client_id: service.clientId, ip: '127.0.0.1' });
    expect(rows[0]!.details).toEqual({ grant: 'client_credentials', jti: jwtPayload(tokens.access_token).jti, scope: 'orders:read', audience: server.url });

    // refused: wrong scope, nothing recorded
    const refused = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basicAuth(service.clientId, service.secret!) });
    expect(refused.status).toBe(400);
    expect(await cursor.next()).toEqual([]);
  });

  it('family_revoked when an authorization code is replayed, once', async () => {
    const pkce = pkcePair();
    const agent = new BrowserAgent(server.url);
    const { code } = await obtainCode(agent, server.url, authorizeParams(app.clientId, REDIRECT, pkce), 'audit-alice', user.password);
    keepCookies(agent);
    keep(code, pkce.verifier);
    const exchange = () => postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT }, clientAuth(app));
    const tokens = await tokensOf(await exchange());
    keep(tokens.access_token, tokens.refresh_token, tokens.id_token);
    const grantId = only(await cursor.next(), 'token_issued').details.grantId;

    expect((await exchange()).status).toBe(400);
    expect((await exchange()).status).toBe(400); // already revoked: no second event
    const rows = await cursor.next();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'family_revoked', user_id: user.id, client_id: app.clientId, details: { grantId, reason: 'authorization code replayed' } });
    const grant = await server.database.db.selectFrom('grants').select('revoked_reason').where('id', '=', String(grantId)).executeTakeFirstOrThrow();
    expect(grant.revoked_reason).toBe('authorization code replayed');
  });

  it('family_revoked and token_revoked from /revoke', async () => {
    const tokens = await loginTokens(server.url, app, REDIRECT, 'audit-alice', user.password);
    keep(tokens.access_token, tokens.refresh_token, tokens.id_token);
    const grantId = only(await cursor.next(), 'token_issued').details.grantId;
    expect((await postForm(`${server.url}/revoke`, { token: tokens.access_token, token_type_hint: 'access_token' }, clientAuth(app))).status).toBe(200);
    expect((await postForm(`${server.url}/revoke`, { token: tokens.refresh_token! }, clientAuth(app))).status).toBe(200);
    const rows = await cursor.next();
    expect(rows.map((r) => r.type)).toEqual(['token_revoked', 'family_revoked']);
    expect(rows[0]).toMatchObject({ client_id: app.clientId, details: { jti: jwtPayload(tokens.access_token).jti, sub: user.id } });
    expect(rows[1]).toMatchObject({ user_id: user.id, client_id: app.clientId, details: { grantId, reason: 'revoked by the client' } });
  });

  it('no audit row holds a password, client secret, token, code, session cookie or JWT', async () => {
    const rows = await auditRows(server.database.db);
    expect(rows.length).toBeGreaterThan(20);
    const text = JSON.stringify(rows);
    for (const marker of SECRET_MARKERS) expect(text).not.toContain(marker);
    expect(secrets.length).toBeGreaterThan(30);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
