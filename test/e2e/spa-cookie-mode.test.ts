import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { NO_REFRESH_COOKIE } from '../../src/oauth/grants/refresh-token.js';
import { ROOT } from '../helpers/process.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { freePort } from '../helpers/ports.js';
import { launchChromium, openTab, type BrowserTab } from '../helpers/chromium.js';

interface CallResult {
  status: number;
  body: Record<string, unknown> | null;
}

/** The SPA's form POST to the issuer with the browser's cookies, answered as {status, body}. */
const CALL = `async function call(path, params) {
  const response = await fetch(ISSUER + path, { method: 'POST', credentials: 'include', body: new URLSearchParams(params) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}`;

/** The SPA: starts the PKCE flow on /, redeems the code on /callback, then offers refresh() and revoke(). */
const spaPage = (issuer: string, clientId: string) => `<!doctype html><title>SPA</title><script>
const ISSUER = ${JSON.stringify(issuer)}, CLIENT_ID = ${JSON.stringify(clientId)}, REDIRECT_URI = location.origin + '/callback';
${CALL}
const b64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
window.refresh = () => call('/token', { grant_type: 'refresh_token', client_id: CLIENT_ID });
window.revoke = () => call('/revoke', { client_id: CLIENT_ID });
(async () => {
  if (location.pathname === '/') {
    const pending = { verifier: random(32), state: random(16), nonce: random(16) };
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier)));
    sessionStorage.setItem('pkce', JSON.stringify(pending));
    const url = new URL(ISSUER + '/authorize');
    url.search = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: 'openid profile offline_access',
      state: pending.state, nonce: pending.nonce, code_challenge: challenge, code_challenge_method: 'S256' });
    location.assign(url);
  } else {
    const pending = JSON.parse(sessionStorage.getItem('pkce'));
    sessionStorage.removeItem('pkce');
    const query = new URLSearchParams(location.search);
    if (query.get('state') !== pending.state) throw new Error('state mismatch');
    const tokenResponse = await call('/token', { grant_type: 'authorization_code', code: query.get('code'), code_verifier: pending.verifier,
      client_id: CLIENT_ID, redirect_uri: REDIRECT_URI });
    window.result = { tokenResponse, nonce: pending.nonce, documentCookie: document.cookie };
  }
})().catch((error) => { window.result = { error: String(error) }; });
</script>`;

/** Another site (127.0.0.1 is not same-site with localhost) trying to use the SPA's refresh cookie. */
const evilPage = (issuer: string, clientId: string) => `<!doctype html><title>Evil</title><script>
const ISSUER = ${JSON.stringify(issuer)};
window.attack = async () => {
  const params = { grant_type: 'refresh_token', client_id: ${JSON.stringify(clientId)} };
  const outcome = (promise) => promise.then((r) => ({ resolved: { type: r.type, status: r.status } }), (error) => ({ rejected: error.name }));
  const cors = await outcome(fetch(ISSUER + '/token', { method: 'POST', credentials: 'include', body: new URLSearchParams(params) }));
  // A no-cors request still reaches the server; the page would at most get an opaque answer.
  const noCors = await outcome(fetch(ISSUER + '/token', { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams(params) }));
  return { cors, noCors };
};
</script>`;

async function listen(handler: (path: string) => string | undefined): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const html = handler(new URL(request.url ?? '/', 'http://x').pathname);
    if (html === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

interface Seen {
  path: string;
  origin?: string;
  refreshCookie: boolean;
}

describe('SPA refresh-cookie mode in headless Chromium', { timeout: 60_000 }, () => {
  let server: TestServer;
  let issuer: string;
  let browser: Browser;
  let spa: Awaited<ReturnType<typeof listen>>;
  let evil: Awaited<ReturnType<typeof listen>>;
  let spaOrigin: string;
  let evilOrigin: string;
  let clientId: string;
  let tab: BrowserTab;
  let page: Page;
  const seen: Seen[] = []; // every POST /token and /revoke that reached the issuer

  beforeAll(async () => {
    browser = await launchChromium();
    const config = { issuer: '', clientId: '' };
    spa = await listen((path) => (path === '/' || path === '/callback' ? spaPage(config.issuer, config.clientId) : undefined));
    evil = await listen((path) => (path === '/' ? evilPage(config.issuer, config.clientId) : undefined));
    spaOrigin = `http://localhost:${spa.port}`;
    evilOrigin = `http://127.0.0.1:${evil.port}`;
    const port = await freePort();
    // No reuse grace: a refresh token consumed by anyone else would make the SPA's next refresh fail.
    server = await startTestServer({ PORT: String(port), ISSUER: `http://localhost:${port}`, HOST: '127.0.0.1', REFRESH_REUSE_GRACE: '0' });
    issuer = `http://localhost:${port}`;
    server.app.server.prependListener('request', (request: IncomingMessage) => {
      const path = (request.url ?? '').split('?')[0]!;
      if (request.method === 'POST' && (path === '/token' || path === '/revoke')) seen.push({ path, origin: request.headers.origin, refreshCookie: /(^|;\s*)lk_rt_/.test(request.headers.cookie ?? '') });
    });
    const db = server.database.db;
    await makeUser(db, { username: 'alice', password: 'correct horse battery staple' });
    ({ clientId } = await makeClient(db, {
      name: 'Cookie SPA',
      type: 'public',
      redirectUris: [`${spaOrigin}/callback`],
      origins: [spaOrigin],
      refreshCookie: true,
      scopes: ['openid', 'profile', 'offline_access'],
    }));
    Object.assign(config, { issuer, clientId });
    tab = await openTab(browser);
    page = tab.page;
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([
      server?.stop(),
      ...[spa, evil].map((s) => s && new Promise<void>((resolve) => s.server.close(() => resolve()))),
    ]);
  });

  const cookieName = () => `lk_rt_${clientId}`;
  const refreshCookies = async () => (await tab.context.cookies()).filter((c) => c.name === cookieName()).sort((a, b) => a.path.localeCompare(b.path));
  /** The one value both refresh cookies (Path=/revoke and Path=/token) carry. */
  async function currentRefreshToken(): Promise<string> {
    const cookies = await refreshCookies();
    expect(cookies.map((c) => c.path)).toEqual(['/revoke', '/token']);
    expect(cookies[0]!.value).toBe(cookies[1]!.value);
    return cookies[0]!.value;
  }
  /* eslint-disable @typescript-eslint/no-explicit-any -- window globals of the test pages; tsconfig has no DOM lib */
  const refresh = () => page.evaluate(() => (globalThis as any).refresh() as Promise<CallResult>);
  const revoke = () => page.evaluate(() => (globalThis as any).revoke() as Promise<CallResult>);
  /* eslint-enable @typescript-eslint/no-explicit-any */
  const plainRefresh = (headers: Record<string, string>) =>
    fetch(`${issuer}/token`, { method: 'POST', headers, body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId }) });

  it('logs in through the real login page and keeps the refresh token out of the page, in HttpOnly SameSite=Strict cookies', async () => {
    await page.goto(`${spaOrigin}/`);
    await page.waitForURL((url) => url.origin === issuer && url.pathname === '/login');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.origin === spaOrigin && url.pathname === '/callback');
    await page.waitForFunction('window.result !== undefined');
    const result = (await page.evaluate('window.result')) as { tokenResponse: CallResult; nonce: string; documentCookie: string; error?: string };
    expect(result.error).toBeUndefined();
    expect(tab.navigations).toEqual([
      `GET ${spaOrigin}/`,
      `GET ${issuer}/authorize`,
      `GET ${issuer}/login`,
      `POST ${issuer}/login`,
      `GET ${issuer}/authorize/resume`,
      `GET ${spaOrigin}/callback`,
    ]);

    const { status, body } = result.tokenResponse;
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile offline_access' });
    expect(body!.access_token).toEqual(expect.any(String));
    expect(body).not.toHaveProperty('refresh_token');
    const idToken = decodeJwt(body!.id_token as string);
    expect(idToken).toMatchObject({ iss: issuer, aud: clientId, nonce: result.nonce });

    const token = await currentRefreshToken();
    expect(token).toMatch(/^lk_rt_/);
    for (const cookie of await refreshCookies()) {
      expect(cookie).toMatchObject({ domain: 'localhost', httpOnly: true, sameSite: 'Strict', secure: false });
      expect(cookie.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86400); // REFRESH_ABSOLUTE_TTL, 30 d
    }
    // Scripts never see it: not on the SPA's page, not even on an issuer page whose path is /token.
    expect(result.documentCookie).not.toContain('lk_rt_');
    expect(await page.evaluate('document.cookie')).not.toContain('lk_rt_');
    await tab.context.addCookies([{ name: 'probe', value: 'visible', url: `${issuer}/token` }]); // shows the probe can see cookies
    const issuerPage = await tab.context.newPage();
    await issuerPage.goto(`${issuer}/token`);
    expect(new URL(issuerPage.url()).pathname).toBe('/token');
    expect(await issuerPage.evaluate('document.cookie')).toBe('probe=visible');
    await issuerPage.close();
    await tab.context.clearCookies({ name: 'probe' });
    expect(seen).toEqual([{ path: '/token', origin: spaOrigin, refreshCookie: false }]);
    expect(tab.blocked).toEqual([]);
  });

  it('refreshes from the SPA three times, rotating the cookie each time and never putting the token in the body', async () => {
    const values = [await currentRefreshToken()];
    const accessTokens = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { status, body } = await refresh();
      expect(status).toBe(200);
      expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile offline_access' });
      expect(body).not.toHaveProperty('refresh_token');
      accessTokens.add(body!.access_token as string);
      values.push(await currentRefreshToken());
    }
    expect(accessTokens.size).toBe(3);
    expect(new Set(values).size).toBe(4); // every refresh set a new value at both paths
    expect(seen.slice(-3)).toEqual(Array(3).fill({ path: '/token', origin: spaOrigin, refreshCookie: true }));
  });

  it('another site cannot refresh with the cookie: CORS and CORP hide the answer, the cookie is not sent, nothing is consumed', async () => {
    const db = server.database.db;
    const tokensBefore = await db.selectFrom('refresh_tokens').select(['token_hash', 'consumed_at']).orderBy('token_hash').execute();
    const before = await currentRefreshToken();
    const seenBefore = seen.length;

    const evilTab = await tab.context.newPage(); // same browser, same cookie jar as the SPA
    await evilTab.goto(`${evilOrigin}/`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const outcome = await evilTab.evaluate(() => (globalThis as any).attack() as Promise<unknown>);
    await evilTab.close();
    // CORS: no allow-origin for this origin. no-cors: Cross-Origin-Resource-Policy: same-site blocks even the opaque answer.
    expect(outcome).toEqual({ cors: { rejected: 'TypeError' }, noCors: { rejected: 'TypeError' } });
    // Both requests reached the issuer, from the evil origin and without the SameSite=Strict cookie.
    expect(seen.slice(seenBefore)).toEqual(Array(2).fill({ path: '/token', origin: evilOrigin, refreshCookie: false }));

    expect(await db.selectFrom('refresh_tokens').select(['token_hash', 'consumed_at']).orderBy('token_hash').execute()).toEqual(tokensBefore);
    expect(await currentRefreshToken()).toBe(before);
    const after = await refresh(); // with no reuse grace this would fail had the token been consumed
    expect(after.status).toBe(200);
    expect(await currentRefreshToken()).not.toBe(before);
  });

  it('over plain HTTP: the cookie alone is refused without a registered Origin, and CORS answers only the SPA origin', async () => {
    const cookie = `${cookieName()}=${await currentRefreshToken()}`;

    const noOrigin = await plainRefresh({ cookie });
    expect(noOrigin.status).toBe(401);
    expect(await noOrigin.json()).toEqual({ error: 'invalid_client', error_description: 'this client is accepted only from its registered origins' });

    const fromEvil = await plainRefresh({ cookie, origin: evilOrigin });
    expect(fromEvil.status).toBe(401);
    expect(await fromEvil.json()).toEqual({ error: 'invalid_client', error_description: 'this origin is not registered for the client' });
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
    expect(fromEvil.headers.get('access-control-allow-credentials')).toBeNull();
    expect(fromEvil.headers.get('set-cookie')).toBeNull();

    const preflight = (origin: string) =>
      fetch(`${issuer}/token`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const fromSpa = await preflight(spaOrigin);
    expect(fromSpa.status).toBe(204);
    expect(fromSpa.headers.get('access-control-allow-origin')).toBe(spaOrigin);
    expect(fromSpa.headers.get('access-control-allow-credentials')).toBe('true');
    expect(fromSpa.headers.get('access-control-allow-methods')).toContain('POST');
    const evilPreflight = await preflight(evilOrigin);
    expect(evilPreflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(evilPreflight.headers.get('access-control-allow-credentials')).toBeNull();

    // The refused requests consumed nothing: the SPA's cookie still refreshes (no reuse grace).
    expect((await refresh()).status).toBe(200);
  });

  it('revoke() ends the grant and clears both cookies; a later refresh() is refused', async () => {
    const lastToken = await currentRefreshToken();
    const revoked = await revoke();
    expect(revoked).toEqual({ status: 200, body: null });
    expect(seen.at(-1)).toEqual({ path: '/revoke', origin: spaOrigin, refreshCookie: true });
    expect(await refreshCookies()).toEqual([]);

    const after = await refresh();
    // The description says the cookie did not arrive and why that happens (same-site, credentials).
    expect(after).toEqual({ status: 400, body: { error: 'invalid_request', error_description: NO_REFRESH_COOKIE } });
    expect(NO_REFRESH_COOKIE).toMatch(/^no refresh cookie arrived .*same site.*credentials: 'include'.*README#the-refresh-cookie-is-sent-only-same-site\)$/);
    expect(NO_REFRESH_COOKIE).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/); // RFC 6749 5.2's error_description characters
    expect(readFileSync(`${ROOT}/README.md`, 'utf8')).toMatch(/^#### The refresh cookie is sent only same-site$/m); // the anchor it names
    expect(seen.at(-1)).toEqual({ path: '/token', origin: spaOrigin, refreshCookie: false });

    // Revoked on the server too, not just forgotten by the browser: the last value is dead.
    const replay = await plainRefresh({ cookie: `${cookieName()}=${lastToken}`, origin: spaOrigin });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({ error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' });
    const grants = await server.database.db.selectFrom('grants').select(['revoked_reason']).where('client_id', '=', clientId).execute();
    expect(grants).toEqual([{ revoked_reason: 'revoked by the client' }]);
    expect(tab.blocked).toEqual([]);
  });
});
