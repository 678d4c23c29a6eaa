import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, obtainCode, pkcePair, postForm } from '../helpers/flow.js';
import { launchChromium, openTab } from '../helpers/chromium.js';

const REDIRECT = 'https://app.example.com/callback';
const AFTER_LOGOUT = 'https://app.example.com/signed-out';

interface SignedIn {
  agent: BrowserAgent;
  idToken: string;
  sid: string;
}

describe('RP-Initiated Logout: a session ends only by its own browser (issue 10 item 7)', () => {
  let server: TestServer;
  let app: { clientId: string; secret?: string };
  let victim: Awaited<ReturnType<typeof makeUser>>;
  let attacker: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    server = await startTestServer();
    const db = server.database.db;
    victim = await makeUser(db, { username: 'victim' });
    attacker = await makeUser(db, { username: 'attacker' });
    app = await makeClient(db, { name: 'Notes <img src=x onerror=alert(1)>', redirectUris: [REDIRECT], postLogoutRedirectUris: [AFTER_LOGOUT] });
  });
  afterAll(async () => server?.stop());

  async function signIn(user: { username: string; password: string }): Promise<SignedIn> {
    const agent = new BrowserAgent(server.url);
    const pkce = pkcePair();
    const { code } = await obtainCode(agent, server.url, authorizeParams(app.clientId, REDIRECT, pkce, { scope: 'openid' }), user.username, user.password);
    const response = await postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT }, { authorization: basicAuth(app.clientId, app.secret!) });
    const idToken = ((await response.json()) as { id_token: string }).id_token;
    return { agent, idToken, sid: String(decodeJwt(idToken).sid) };
  }

  const sessionEnded = async (sid: string) =>
    (await server.database.db.selectFrom('login_sessions').select('ended_at').where('id', '=', sid).executeTakeFirstOrThrow()).ended_at !== null;

  /** Whether the browser still gets a code without the login page. */
  async function stillSignedIn(agent: BrowserAgent): Promise<boolean> {
    const result = await agent.navigate(authorizeUrl(server.url, authorizeParams(app.clientId, REDIRECT, pkcePair(), { scope: 'openid' })));
    return result.leftTo?.startsWith(`${REDIRECT}?code=`) ?? false;
  }

  function logoutUrl(params: Record<string, string | undefined>): string {
    const url = new URL('/logout', server.url);
    for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
    return url.toString();
  }

  function expectConfirmationPage(html: string) {
    expect(html).toMatch(/<title>Sign out\? · Latchkey<\/title>/);
    expect(html).toMatch(/<form method="post" action="\/logout">/);
    expect(html).toMatch(/<button type="submit" name="decision" value="sign_out">Sign out<\/button>/);
    expect(html).toMatch(/<button type="submit" name="decision" value="cancel" class="secondary">Cancel<\/button>/);
  }

  it('a valid id_token_hint without the victim’s cookie leaves the victim’s session alive', async () => {
    const { agent, idToken, sid } = await signIn(victim);
    const response = await fetch(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: AFTER_LOGOUT, state: 's' }), { redirect: 'manual' });
    expect([200, 303]).toContain(response.status);
    expect(await sessionEnded(sid)).toBe(false);
    expect(await stillSignedIn(agent)).toBe(true);
  });

  it('the victim’s hint sent with the attacker’s own cookie ends neither session: it asks', async () => {
    const target = await signIn(victim);
    const mallory = await signIn(attacker);
    const response = await mallory.agent.fetch(logoutUrl({ id_token_hint: target.idToken }));
    expect(response.status).toBe(200);
    expectConfirmationPage(await response.text());
    expect(await sessionEnded(target.sid)).toBe(false);
    expect(await sessionEnded(mallory.sid)).toBe(false);
  });

  it('a cross-site GET /logout without a hint ends nothing: it shows a confirmation page', async () => {
    const { agent, sid } = await signIn(victim);
    const response = await agent.fetch(logoutUrl({ client_id: app.clientId, post_logout_redirect_uri: AFTER_LOGOUT, state: 'st' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://app.example.com; frame-ancestors 'none'; base-uri 'none'",
    );
    const html = await response.text();
    expectConfirmationPage(html);
    expect(html).toContain('victim');
    expect(await sessionEnded(sid)).toBe(false);
    expect(await stillSignedIn(agent)).toBe(true);
  });

  it('a cross-site POST /logout without the CSRF token ends nothing', async () => {
    const { agent, sid } = await signIn(victim);
    const forged = await agent.fetch('/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'sign_out', client_id: app.clientId, post_logout_redirect_uri: AFTER_LOGOUT }).toString(),
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
    const wrongToken = await agent.fetch('/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'sign_out', csrf_token: 'A'.repeat(43) }).toString(),
    });
    expect(wrongToken.status).toBe(403);
    expect(await sessionEnded(sid)).toBe(false);
  });

  it('confirming on the page (CSRF token) ends the session and returns to post_logout_redirect_uri with state', async () => {
    const { agent, sid } = await signIn(victim);
    const page = await (await agent.fetch(logoutUrl({ client_id: app.clientId, post_logout_redirect_uri: AFTER_LOGOUT, state: 'a b"c' }))).text();
    const confirmed = await agent.submit('/logout', {
      csrf_token: hiddenField(page, 'csrf_token'),
      client_id: hiddenField(page, 'client_id'),
      post_logout_redirect_uri: hiddenField(page, 'post_logout_redirect_uri'),
      state: 'a b"c',
      decision: 'sign_out',
    });
    expect(confirmed.leftTo).toBe(`${AFTER_LOGOUT}?state=a+b%22c`);
    expect(await sessionEnded(sid)).toBe(true);
    expect(await stillSignedIn(agent)).toBe(false);
    const audit = await server.database.db.selectFrom('audit_events').select(['user_id', 'client_id']).where('type', '=', 'logout').where('user_id', '=', victim.id).execute();
    expect(audit).toContainEqual({ user_id: victim.id, client_id: app.clientId });
  });

  it('a confirmation without any client shows the signed-out page', async () => {
    const { agent, sid } = await signIn(victim);
    const page = await (await agent.fetch(logoutUrl({}))).text();
    expectConfirmationPage(page);
    const confirmed = await agent.submit('/logout', { csrf_token: hiddenField(page, 'csrf_token'), decision: 'sign_out' });
    expect(confirmed.response.status).toBe(200);
    expect(await confirmed.response.text()).toContain('Signed out');
    expect(await sessionEnded(sid)).toBe(true);
  });

  it('cancel keeps the session', async () => {
    const { agent, sid } = await signIn(victim);
    const page = await (await agent.fetch(logoutUrl({ client_id: app.clientId }))).text();
    const cancelled = await agent.submit('/logout', { csrf_token: hiddenField(page, 'csrf_token'), client_id: app.clientId, decision: 'cancel' });
    expect(cancelled.response.status).toBe(200);
    expect(cancelled.leftTo).toBeUndefined();
    expect(await cancelled.response.text()).toContain('still signed in');
    expect(await sessionEnded(sid)).toBe(false);
  });

  it('a hint whose sid is this browser’s session ends it without asking', async () => {
    const { agent, idToken, sid } = await signIn(victim);
    const response = await agent.fetch(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: AFTER_LOGOUT, state: 'x' }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${AFTER_LOGOUT}?state=x`);
    expect(await sessionEnded(sid)).toBe(true);
  });

  it('a hint for a session this browser already ended still redirects, and ends nothing else', async () => {
    const other = await signIn(victim);
    const { agent, idToken } = await signIn(victim);
    await agent.fetch(logoutUrl({ id_token_hint: idToken }));
    const again = await agent.fetch(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: AFTER_LOGOUT }));
    expect(again.status).toBe(303);
    expect(await sessionEnded(other.sid)).toBe(false);
  });

  it('escapes everything it shows', async () => {
    const { agent } = await signIn(victim);
    const html = await (await agent.fetch(logoutUrl({ client_id: app.clientId, post_logout_redirect_uri: AFTER_LOGOUT, state: '"><script>alert(1)</script>' }))).text();
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('Notes &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});

describe('the sign-out confirmation in headless Chromium', { timeout: 90_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let clientApp: Server;
  let origin: string;
  const hits: string[] = [];
  let app: { clientId: string; secret?: string };
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    clientApp = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Client</title><h1>Back at the client</h1>');
    });
    await new Promise<void>((resolve) => clientApp.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(clientApp.address() as { port: number }).port}`;
    browser = await launchChromium();
    server = await startTestServer();
    user = await makeUser(server.database.db, { username: 'grace' });
    app = await makeClient(server.database.db, { name: 'Notes', redirectUris: [`${origin}/callback`], postLogoutRedirectUris: [`${origin}/bye`] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((resolve) => clientApp?.close(resolve));
  });

  it('works without JavaScript at desktop and mobile widths, and signs out on "Sign out"', async () => {
    const tab = await openTab(browser, { javaScriptEnabled: false });
    const { page } = tab;
    await page.goto(authorizeUrl(server.url, authorizeParams(app.clientId, `${origin}/callback`, pkcePair(), { scope: 'openid' })));
    await page.fill('#username', 'grace');
    await page.fill('#password', user.password);
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/callback');

    await page.goto(`${server.url}/logout?client_id=${encodeURIComponent(app.clientId)}&post_logout_redirect_uri=${encodeURIComponent(`${origin}/bye`)}&state=bye-1`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign out?');
    await page.setViewportSize({ width: 375, height: 700 });
    const cancelBox = await page.locator('button[value=cancel]').boundingBox();
    expect(cancelBox!.width).toBeGreaterThan(250); // full-width buttons on a phone

    await page.click('button[value=sign_out]');
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/bye');
    expect(new URL(page.url()).searchParams.get('state')).toBe('bye-1');
    expect(tab.consoleErrors).toEqual([]);
    const open = await server.database.db.selectFrom('login_sessions').select('id').where('user_id', '=', user.id).where('ended_at', 'is', null).execute();
    expect(open).toEqual([]);
    await tab.context.close();
  });
});
