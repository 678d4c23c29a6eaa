import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, pkcePair } from '../helpers/flow.js';

const REDIRECT = 'https://app.example.com/callback';
const XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>';

describe('the login page', () => {
  let server: TestServer;
  let clientId: string;
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '1000', LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_DURATION: '15m' });
    const db = server.database.db;
    user = await makeUser(db, { username: 'carol' });
    await makeUser(db, { username: 'dave' });
    await makeUser(db, { username: 'mallory-disabled' });
    await db.updateTable('users').set({ disabled: true }).where('username', '=', 'mallory-disabled').execute();
    clientId = (await makeClient(db, { redirectUris: [REDIRECT], name: `Shop ${XSS}` })).clientId;
  });
  afterAll(async () => server?.stop());

  async function openLogin(agent: BrowserAgent, extra: Record<string, string> = {}) {
    const start = await agent.navigate(authorizeUrl(server.url, authorizeParams(clientId, REDIRECT, pkcePair(), extra)));
    expect(start.response.status).toBe(200);
    const page = await start.response.text();
    return { page, csrf: hiddenField(page, 'csrf_token'), requestId: hiddenField(page, 'request_id') };
  }

  async function attempt(agent: BrowserAgent, username: string, password: string) {
    const { csrf, requestId } = await openLogin(agent);
    const result = await agent.submit('/login', { csrf_token: csrf, request_id: requestId, username, password });
    return { ...result, body: result.leftTo ? '' : await result.response.text(), csrf, requestId };
  }

  it('is accessible, self-contained and framed by a strict CSP', async () => {
    const agent = new BrowserAgent(server.url);
    const start = await agent.navigate(authorizeUrl(server.url, authorizeParams(clientId, REDIRECT, pkcePair())));
    const page = await start.response.text();
    expect(page).toContain('<label for="username">');
    expect(page).toContain('<label for="password">');
    expect(page).toMatch(/id="username" name="username" autocomplete="username webauthn"/);
    expect(page).toMatch(/id="password" name="password" autocomplete="current-password"/);
    // Scripts only from Latchkey's own files (the passkey ceremony), never inline.
    expect(page).not.toMatch(/<script(?![^>]*\ssrc="\/assets\/[a-z-]+\.js")/i);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//i);
    const csp = start.response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' https://app.example.com");
    expect(start.response.headers.get('cache-control')).toBe('no-store');
    const cookies = start.response.headers.getSetCookie().join('\n');
    expect(cookies).toMatch(/lk_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    expect((await fetch(`${server.url}/assets/latchkey.css`)).status).toBe(200);
  });

  it('escapes everything it echoes: client name, login_hint and the submitted username', async () => {
    const agent = new BrowserAgent(server.url);
    const { page } = await openLogin(agent, { login_hint: XSS });
    const failed = await attempt(agent, XSS, 'nope');
    for (const body of [page, failed.body]) {
      expect(body).not.toContain('<script>alert(1)</script>');
      expect(body).not.toContain('<img src=x');
      expect(body).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });

  it('answers a wrong password, an unknown user and a disabled user with byte-identical pages', async () => {
    const agent = new BrowserAgent(server.url);
    const bodies: string[] = [];
    for (const [username, password] of [['carol', 'wrong password'], ['nobody-here', 'wrong password'], ['mallory-disabled', 'correct horse battery staple']] as const) {
      const result = await attempt(agent, username, password);
      expect(result.leftTo).toBeUndefined();
      expect(result.response.status).toBe(200);
      expect(result.body).toContain('role="alert">Incorrect username or password.</p>');
      // Only the echoed username and the per-request id may differ; blank them out.
      bodies.push(result.body.replaceAll(result.requestId, 'REQ').replaceAll(result.csrf, 'CSRF').replace(/value="[^"]*" (autocomplete="username webauthn"|required)/, '').replace(/name="username"[^>]*>/, 'USERNAME>'));
    }
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
  });

  it('refuses a post without the CSRF token, or with another one, and logs nobody in', async () => {
    const agent = new BrowserAgent(server.url);
    const { requestId } = await openLogin(agent);
    for (const csrf of ['', 'forged-token-value-forged-token-value-forg', undefined]) {
      const fields: Record<string, string> = { request_id: requestId, username: 'dave', password: 'correct horse battery staple' };
      if (csrf !== undefined) fields.csrf_token = csrf;
      const result = await agent.submit('/login', fields);
      expect(result.response.status).toBe(403);
      expect(result.leftTo).toBeUndefined();
    }
    const fresh = new BrowserAgent(server.url); // a cross-site attacker has no CSRF cookie at all
    const result = await fresh.submit('/login', { csrf_token: 'x', request_id: requestId, username: 'dave', password: 'correct horse battery staple' });
    expect(result.response.status).toBe(403);
    const sessions = await server.database.db.selectFrom('login_sessions').select('id').execute();
    expect(sessions).toHaveLength(0);
  });

  it('refuses an unknown or expired request id without redirecting anywhere', async () => {
    const agent = new BrowserAgent(server.url);
    const { csrf } = await openLogin(agent);
    const result = await agent.submit('/login', { csrf_token: csrf, request_id: 'A'.repeat(32), username: 'dave', password: 'x' });
    expect(result.response.status).toBe(400);
    expect(result.leftTo).toBeUndefined();
    expect((await fetch(`${server.url}/login`)).status).toBe(400);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie on success (not Secure on a 127.0.0.1 issuer)', async () => {
    const agent = new BrowserAgent(server.url);
    const { csrf, requestId } = await openLogin(agent);
    const response = await agent.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: csrf, request_id: requestId, username: 'dave', password: 'correct horse battery staple' }).toString(),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/authorize/resume?request_id=${requestId}`);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('lk_session='))!;
    expect(cookie).toMatch(/^lk_session=lk_ss_[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/);
    const stored = await server.database.db.selectFrom('login_sessions').select('token_hash').execute();
    expect(stored.map((s) => s.token_hash)).not.toContain(cookie.split(';')[0]!.split('=')[1]);
  });

  it('locks an account after repeated failures, still answering with the same message', async () => {
    const agent = new BrowserAgent(server.url);
    for (let i = 0; i < 3; i++) expect((await attempt(agent, 'carol', `wrong-${i}`)).leftTo).toBeUndefined();
    const locked = await attempt(agent, 'carol', user.password);
    expect(locked.leftTo).toBeUndefined();
    expect(locked.body).toContain('Incorrect username or password.');
    const row = await server.database.db.selectFrom('users').select(['failed_logins', 'locked_until']).where('username', '=', 'carol').executeTakeFirstOrThrow();
    // Every failure counts, during a lock too (one atomic UPDATE; see test/security/lockout.test.ts),
    // and carol already had one from the byte-identical-pages test.
    expect(row.failed_logins).toBe(4);
    expect(row.locked_until!.getTime()).toBeGreaterThan(Date.now() + 14 * 60 * 1000);
  });
});

describe('login rate limits', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '3', TRUST_PROXY: '1', LOGIN_LOCKOUT_THRESHOLD: '0' });
    await makeUser(server.database.db, { username: 'erin' });
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  async function post(agent: BrowserAgent, username: string, ip: string) {
    const start = await agent.navigate(authorizeUrl(server.url, authorizeParams(clientId, REDIRECT, pkcePair())));
    const page = await start.response.text();
    return agent.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams({ csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), username, password: 'wrong' }).toString(),
    });
  }

  it('limits attempts per IP and answers 429 with Retry-After', async () => {
    const agent = new BrowserAgent(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(agent, `someone${i}`, '203.0.113.7')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await post(agent, 'someone9', '203.0.113.7');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // A browser posted this form: it gets a page, not JSON (the 21st login in a minute used to show raw JSON).
    expect(limited.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await limited.text()).toMatch(/You can try again in \d+ seconds?\./);
    expect((await post(agent, 'other', '203.0.113.8')).status).toBe(200); // another IP is unaffected
  });

  it('limits attempts per username across IPs', async () => {
    const agent = new BrowserAgent(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(agent, i % 2 ? 'ERIN' : 'erin', `198.51.100.${i + 1}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
