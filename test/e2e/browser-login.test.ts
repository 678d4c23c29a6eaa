import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { launchChromium, openTab, type BrowserTab } from '../helpers/chromium.js';

const SCREENSHOT = '/tmp/latchkey-login.png';
/** Its inline script renames the page, which shows whether page scripts ran. */
const CLIENT_PAGE = `<!doctype html><title>Client app</title><h1>Back at the client</h1><script>document.title += ' (scripts ran)'</script>`;

/** The "client app": a loopback HTTP server whose /callback answers a small page. */
async function startClientApp(): Promise<{ origin: string; callback: string; hits: string[]; stop(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void response.writeHead(404).end();
    hits.push(url.search);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(CLIENT_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { origin, callback: `${origin}/callback`, hits, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the login page in headless Chromium', { timeout: 60_000 }, () => {
  let server: TestServer;
  let app: Awaited<ReturnType<typeof startClientApp>>;
  let browser: Browser;
  let firstParty: client.Configuration;
  let thirdParty: client.Configuration;
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    browser = await launchChromium();
    [server, app] = await Promise.all([startTestServer(), startClientApp()]);
    const db = server.database.db;
    user = await makeUser(db, { username: 'alice', email: 'alice@example.com', name: 'Alice Liddell' });
    const discover = async (input: { name: string; thirdParty: boolean }) => {
      const { clientId, secret } = await makeClient(db, { ...input, redirectUris: [app.callback] });
      return client.discovery(new URL(server.url), clientId, secret!, client.ClientSecretBasic(secret!), { execute: [client.allowInsecureRequests] });
    };
    firstParty = await discover({ name: 'Notes', thirdParty: false });
    thirdParty = await discover({ name: 'Elsewhere', thirdParty: true });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.stop(), app?.stop()]);
  });

  /** An authorization request with PKCE S256, state and nonce. */
  async function authorizationRequest(config: client.Configuration, scope = 'openid profile email') {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.callback,
      response_type: 'code',
      scope,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { codeVerifier, state, nonce, url: url.toString() };
  }

  /** Waits until the browser shows the client's /callback and returns that URL. */
  async function landedAtCallback({ page, consoleErrors }: BrowserTab): Promise<URL> {
    await page.waitForURL((url) => url.origin === app.origin && url.pathname === '/callback').catch((error: Error) => {
      throw new Error(`never reached ${app.callback}; stuck at ${page.url()}; console errors: ${JSON.stringify(consoleErrors)}`, { cause: error });
    });
    await expect(page.locator('h1').textContent()).resolves.toBe('Back at the client');
    return new URL(page.url());
  }

  async function signIn(page: Page, password = user.password) {
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  it('runs the whole code flow through the real login page, then exchanges the code with PKCE', async () => {
    const tab = await openTab(browser);
    const { page } = tab;
    const request = await authorizationRequest(firstParty);
    await page.goto(request.url);

    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.title()).toBe('Sign in · Latchkey');
    await expect(page.locator('p.sub strong').textContent()).resolves.toBe('Notes');
    await expect(page.locator('label[for=username]').textContent()).resolves.toBe('Username');
    await expect(page.locator('label[for=password]').textContent()).resolves.toBe('Password');
    await expect(page.locator('#username').getAttribute('autocomplete')).resolves.toBe('username webauthn');
    await expect(page.locator('#password').getAttribute('autocomplete')).resolves.toBe('current-password');
    await expect(page.locator('#password').getAttribute('type')).resolves.toBe('password');
    // A string: tsconfig has no DOM lib, and this runs in the page anyway.
    const resources = await page.evaluate<{ origin: string; urls: (string | null)[]; styleRules: number[] }>(`({
      origin: location.origin,
      urls: [...document.querySelectorAll('link, script, img, iframe, source, object, embed, video, audio')].map(
        (el) => el.getAttribute('href') ?? el.getAttribute('src') ?? el.getAttribute('data')),
      styleRules: [...document.styleSheets].map((sheet) => sheet.cssRules.length),
    })`);
    expect(resources.urls).toContain('/assets/latchkey.css');
    for (const url of resources.urls) if (url !== null) expect(new URL(url, resources.origin).origin, url).toBe(resources.origin);
    expect(resources.styleRules).toHaveLength(1); // the stylesheet really loaded under the CSP
    expect(resources.styleRules[0]).toBeGreaterThan(5);

    await signIn(page);
    const callback = await landedAtCallback(tab);
    expect(callback.searchParams.get('code')).toMatch(/^lk_ac_/);
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(callback.searchParams.get('iss')).toBe(server.url);
    expect(tab.navigations).toEqual([
      `GET ${server.url}/authorize`,
      `GET ${server.url}/login`,
      `POST ${server.url}/login`,
      `GET ${server.url}/authorize/resume`,
      `GET ${app.callback}`,
    ]);
    expect(app.hits).toContain(callback.search);
    expect(await page.title()).toBe('Client app (scripts ran)');

    // The client's back channel: POST /token with client_secret_basic and the code verifier.
    const tokens = await client.authorizationCodeGrant(firstParty, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: server.url, audience: firstParty.clientMetadata().client_id });
    expect(payload.sub).toBe(user.id);
    expect(payload.nonce).toBe(request.nonce);
    expect(tokens.claims()!.sub).toBe(user.id);

    expect(tab.consoleErrors).toEqual([]);
    expect(tab.blocked).toEqual([]);
    await tab.context.close();
  });

  it('a wrong password shows the generic error, keeps the username, and the right one then works', async () => {
    const tab = await openTab(browser);
    const { page } = tab;
    const request = await authorizationRequest(firstParty);
    await page.goto(request.url);
    const hitsBefore = app.hits.length;
    await signIn(page, 'not the password');

    await expect(page.getByRole('alert').textContent()).resolves.toBe('Incorrect username or password.');
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect(page.locator('#username').inputValue()).resolves.toBe('alice');
    await expect(page.locator('#password').inputValue()).resolves.toBe('');
    expect(await page.locator('#password:focus').count()).toBe(1); // autofocus moved to the password
    expect(app.hits.length).toBe(hitsBefore); // nothing reached the client

    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const callback = await landedAtCallback(tab);
    expect(callback.searchParams.get('code')).toMatch(/^lk_ac_/);
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(tab.blocked).toEqual([]);
    await tab.context.close();
  });

  it('works with JavaScript disabled', async () => {
    const tab = await openTab(browser, { javaScriptEnabled: false });
    const { page } = tab;
    const request = await authorizationRequest(firstParty);
    await page.goto(request.url);
    await signIn(page);
    const callback = await landedAtCallback(tab);
    expect(await page.title()).toBe('Client app'); // page scripts really were off
    expect(callback.searchParams.get('code')).toMatch(/^lk_ac_/);
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(tab.blocked).toEqual([]);
    await tab.context.close();
  });

  it('a third-party client asks for consent: deny, then allow, then neither login nor consent again', async () => {
    const tab = await openTab(browser);
    const { page, navigations } = tab;
    const consentScopes = () => page.locator('ul.scopes li code').allTextContents();

    const denied = await authorizationRequest(thirdParty, 'openid email');
    await page.goto(denied.url);
    await signIn(page);
    await page.waitForURL((url) => url.pathname === '/consent');
    await expect(page.locator('h1').textContent()).resolves.toBe('Allow access?');
    await expect(consentScopes()).resolves.toEqual(['openid', 'email']);
    await expect(page.locator('p.sub').first().textContent()).resolves.toBe('Elsewhere asks to access your account alice:');
    await page.getByRole('button', { name: 'Deny' }).click();
    const deniedAt = await landedAtCallback(tab);
    expect(deniedAt.searchParams.get('error')).toBe('access_denied');
    expect(deniedAt.searchParams.get('state')).toBe(denied.state);
    expect(deniedAt.searchParams.get('iss')).toBe(server.url);
    expect(deniedAt.searchParams.has('code')).toBe(false);

    // Still signed in, but nothing was consented to: the consent page again, not the login page.
    const allowed = await authorizationRequest(thirdParty, 'openid email');
    navigations.length = 0;
    await page.goto(allowed.url);
    expect(new URL(page.url()).pathname).toBe('/consent');
    await expect(consentScopes()).resolves.toEqual(['openid', 'email']);
    await page.getByRole('button', { name: 'Allow' }).click();
    const allowedAt = await landedAtCallback(tab);
    expect(allowedAt.searchParams.get('code')).toMatch(/^lk_ac_/);
    expect(allowedAt.searchParams.get('state')).toBe(allowed.state);
    expect(navigations).toEqual([`GET ${server.url}/authorize`, `GET ${server.url}/consent`, `POST ${server.url}/consent`, `GET ${app.callback}`]);

    const again = await authorizationRequest(thirdParty, 'openid email');
    navigations.length = 0;
    await page.goto(again.url);
    const againAt = await landedAtCallback(tab);
    expect(againAt.searchParams.get('code')).toMatch(/^lk_ac_/);
    expect(againAt.searchParams.get('state')).toBe(again.state);
    expect(navigations).toEqual([`GET ${server.url}/authorize`, `GET ${app.callback}`]);

    const tokens = await client.authorizationCodeGrant(thirdParty, againAt, { pkceCodeVerifier: again.codeVerifier, expectedState: again.state, expectedNonce: again.nonce });
    expect(tokens.claims()!.sub).toBe(user.id);
    expect(tokens.scope).toBe('openid email');
    expect(tab.blocked).toEqual([]);
    await tab.context.close();
  });

  it('consent: "not you?" ends the session and asks for a login for the same request; the code is then the other person\'s', async () => {
    const bob = await makeUser(server.database.db, { username: 'bob' });
    const tab = await openTab(browser);
    const { page } = tab;
    const request = await authorizationRequest(thirdParty, 'openid profile');
    await page.goto(request.url);
    await signIn(page);
    await page.waitForURL((url) => url.pathname === '/consent');
    const requestId = new URL(page.url()).searchParams.get('request_id');
    expect(await page.textContent('main')).toContain(`After your answer you return to ${new URL(app.callback).host}.`);
    expect(await page.textContent('.switch')).toContain('Not alice?');
    const aliceSessions = () => server.database.db.selectFrom('login_sessions').select('ended_at').where('user_id', '=', user.id).where('ended_at', 'is', null).execute();
    const openBefore = (await aliceSessions()).length;

    await page.getByRole('button', { name: 'Sign in as someone else' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('request_id')).toBe(requestId);
    expect((await aliceSessions()).length).toBe(openBefore - 1);
    expect((await tab.context.cookies()).map((cookie) => cookie.name)).not.toContain('lk_session');

    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill(bob.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/consent');
    expect(await page.textContent('.switch')).toContain('Not bob?');
    await page.getByRole('button', { name: 'Allow' }).click();
    const callback = await landedAtCallback(tab);
    const tokens = await client.authorizationCodeGrant(thirdParty, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce });
    expect(tokens.claims()!.sub).toBe(bob.id);

    // Without the form's CSRF token nothing ends: a cross-site POST cannot sign anyone out.
    const forged = await fetch(`${server.url}/consent/switch-account`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `request_id=${requestId}&csrf_token=forged` });
    expect(forged.status).toBe(403);
    expect(tab.consoleErrors).toEqual([]);
    await tab.context.close();
  });

  it(`renders the login page for a screenshot at ${SCREENSHOT}`, async () => {
    const { context, page } = await openTab(browser);
    await page.setViewportSize({ width: 800, height: 640 });
    await page.goto((await authorizationRequest(firstParty)).url);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect((await readFile(SCREENSHOT)).subarray(1, 4).toString()).toBe('PNG');
    await context.close();
  });
});
