import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, logIn, pkcePair } from '../helpers/flow.js';
import { revokeConsent } from '../../src/browser/consent-store.js';

const REDIRECT = 'https://partner.example.com/cb';

describe('consent for third-party clients', () => {
  let server: TestServer;
  let partner: string;
  let firstParty: string;
  let user: Awaited<ReturnType<typeof makeUser>>;
  const url = (clientId: string, extra: Record<string, string> = {}) => authorizeUrl(server.url, authorizeParams(clientId, REDIRECT, pkcePair(), { scope: 'openid email', ...extra }));

  beforeAll(async () => {
    server = await startTestServer();
    const db = server.database.db;
    user = await makeUser(db, { username: 'grace' });
    partner = (await makeClient(db, { name: 'Partner <b>App</b>', redirectUris: [REDIRECT], thirdParty: true })).clientId;
    firstParty = (await makeClient(db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  it('a first-party client never shows a consent page', async () => {
    const result = await logIn(new BrowserAgent(server.url), url(firstParty), 'grace', user.password);
    expect(new URL(result.leftTo!).searchParams.get('code')).toMatch(/^lk_ac_/);
  });

  it('asks once, lists the scopes, remembers the answer, and asks again after revocation or prompt=consent', async () => {
    const agent = new BrowserAgent(server.url);
    const afterLogin = await logIn(agent, url(partner), 'grace', user.password);
    expect(afterLogin.leftTo).toBeUndefined();
    expect(afterLogin.url).toMatch(/\/consent\?request_id=/);
    const page = await afterLogin.response.text();
    expect(page).toContain('Partner &lt;b&gt;App&lt;/b&gt;');
    expect(page).toContain('<code>openid</code>');
    expect(page).toContain('<code>email</code>');
    expect(page).not.toContain('<code>profile</code>');

    // prompt=none cannot show the page: consent_required
    const silent = await agent.navigate(url(partner, { prompt: 'none', state: 's1' }));
    const silentUrl = new URL(silent.leftTo!);
    expect(silentUrl.searchParams.get('error')).toBe('consent_required');
    expect(silentUrl.searchParams.get('state')).toBe('s1');

    // a forged decision without the CSRF token is refused
    const forged = await agent.submit('/consent', { request_id: hiddenField(page, 'request_id'), decision: 'allow' });
    expect(forged.response.status).toBe(403);

    const allowed = await agent.submit('/consent', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), decision: 'allow' });
    expect(new URL(allowed.leftTo!).searchParams.get('code')).toMatch(/^lk_ac_/);

    const remembered = await agent.navigate(url(partner));
    expect(new URL(remembered.leftTo!).searchParams.get('code')).toMatch(/^lk_ac_/);

    const wider = await agent.navigate(url(partner, { scope: 'openid email profile' }));
    expect(wider.url).toMatch(/\/consent\?request_id=/);

    const forced = await agent.navigate(url(partner, { prompt: 'consent' }));
    expect(forced.url).toMatch(/\/consent\?request_id=/);

    expect(await revokeConsent(server.database.db, user.id, partner)).toBe(true);
    const afterRevoke = await agent.navigate(url(partner));
    expect(afterRevoke.url).toMatch(/\/consent\?request_id=/);
  });

  it('a denial returns access_denied with the state', async () => {
    const agent = new BrowserAgent(server.url);
    const afterLogin = await logIn(agent, url(partner, { state: 'deny-me' }), 'grace', user.password);
    const page = await afterLogin.response.text();
    const denied = await agent.submit('/consent', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), decision: 'deny' });
    const callback = new URL(denied.leftTo!);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('deny-me');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('a denied request cannot be allowed afterwards with the same request_id: no code after access_denied', async () => {
    const other = await makeUser(server.database.db, { username: 'deny-then-allow' });
    const agent = new BrowserAgent(server.url);
    const afterLogin = await logIn(agent, url(partner, { state: 'once' }), 'deny-then-allow', other.password);
    const page = await afterLogin.response.text();
    const fields = { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id') };
    const denied = await agent.submit('/consent', { ...fields, decision: 'deny' });
    expect(new URL(denied.leftTo!).searchParams.get('error')).toBe('access_denied');
    const allowed = await agent.submit('/consent', { ...fields, decision: 'allow' });
    expect(allowed.response.status).toBe(400);
    expect(allowed.leftTo).toBeUndefined();
  });

  it('two Allows of one request at once deliver exactly one code', async () => {
    const other = await makeUser(server.database.db, { username: 'double-click' });
    const agent = new BrowserAgent(server.url);
    const afterLogin = await logIn(agent, url(partner), 'double-click', other.password);
    const page = await afterLogin.response.text();
    const fields = { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), decision: 'allow' };
    const results = await Promise.all([agent.submit('/consent', fields), agent.submit('/consent', fields)]);
    const codes = results.map((r) => (r.leftTo ? new URL(r.leftTo).searchParams.get('code') : null)).filter(Boolean);
    expect(codes).toHaveLength(1);
    expect(results.map((r) => r.response.status).sort()).toContain(400);
  });

  it('refuses the consent page without a session', async () => {
    const agent = new BrowserAgent(server.url);
    const start = await agent.navigate(url(partner));
    const requestId = new URL(start.url).searchParams.get('request_id')!;
    const response = await agent.fetch(`/consent?request_id=${requestId}`);
    expect(response.status).toBe(400);
  });
});
