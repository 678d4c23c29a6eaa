import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savePendingRequest, findPendingRequest } from '../../src/oauth/authorize/request-store.js';
import { jsonb } from '../../src/db/json.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { authorizeParams, pkcePair } from '../helpers/flow.js';
import { hiddenField } from '../helpers/http-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Jar } from '../helpers/inject-cookie-jar.js';

const REDIRECT = 'https://shop.example/callback';

describe('the sign-in step pages (inject)', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<typeof makeUser>>;
  let firstParty: string;
  let thirdParty: string;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '1000' });
    const db = server.database.db;
    user = await makeUser(db);
    firstParty = (await makeClient(db, { type: 'public', redirectUris: [REDIRECT] })).clientId;
    thirdParty = (await makeClient(db, { type: 'public', redirectUris: [REDIRECT], thirdParty: true })).clientId;
  });
  afterAll(async () => server?.stop());

  const get = (jar: Jar, url: string) => server.app.inject({ method: 'GET', url, headers: { cookie: jar.header() } }).then((r) => jar.keep(r));
  const post = (jar: Jar, url: string, fields: Record<string, string>) =>
    server.app
      .inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() })
      .then((r) => jar.keep(r));

  async function parkedLogin(jar: Jar, clientId: string, extra: Record<string, string> = {}) {
    const query = new URLSearchParams(authorizeParams(clientId, REDIRECT, pkcePair(), extra) as Record<string, string>);
    const start = await get(jar, `/authorize?${query}`);
    expect(start.statusCode).toBe(303);
    const location = start.headers.location as string;
    expect(location).toMatch(/^\/login\?request_id=[A-Za-z0-9_-]{32}$/);
    const page = await get(jar, location);
    return { page, requestId: hiddenField(page.body, 'request_id'), csrf: hiddenField(page.body, 'csrf_token') };
  }

  async function signIn(jar: Jar, clientId: string, extra: Record<string, string> = {}) {
    const { requestId, csrf } = await parkedLogin(jar, clientId, extra);
    const done = await post(jar, '/login', { csrf_token: csrf, request_id: requestId, username: user.username, password: user.password });
    expect(done.statusCode).toBe(303);
    return { requestId, csrf, done };
  }

  it('GET /login: an HTML page, not cached, framed by a CSP whose form-action allows only us and the redirect origin', async () => {
    const { page } = await parkedLogin(new Jar(), firstParty);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("form-action 'self' https://shop.example;");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.cookies.map((c: { name: string }) => c.name)).toContain('lk_csrf');
  });

  it('GET /login for an unknown or malformed request id: 400', async () => {
    for (const id of ['A'.repeat(32), 'nope', '']) expect((await get(new Jar(), `/login?request_id=${id}`)).statusCode).toBe(400);
  });

  it('POST /login refuses a form without the CSRF cookie, or with another token: 403, and signs no one in', async () => {
    const jar = new Jar();
    const { requestId, csrf } = await parkedLogin(jar, firstParty);
    const fields = { csrf_token: csrf, request_id: requestId, username: user.username, password: user.password };
    const stranger = await post(new Jar(), '/login', fields);
    expect(stranger.statusCode).toBe(403);
    const forged = await post(jar, '/login', { ...fields, csrf_token: 'x'.repeat(43) });
    expect(forged.statusCode).toBe(403);
    expect(forged.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(jar.cookies.has('lk_session')).toBe(false);
  });

  it('POST /login with the right password: a session and a device cookie, then back to the loop', async () => {
    const jar = new Jar();
    const { requestId, done } = await signIn(jar, firstParty);
    expect(done.headers.location).toBe(`/authorize/resume?request_id=${requestId}`);
    const set = done.cookies as { name: string; httpOnly?: boolean; sameSite?: string }[];
    expect(set.find((c) => c.name === 'lk_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(set.find((c) => c.name === 'lk_device')).toMatchObject({ httpOnly: true });
    // The loop: a first-party client needs nothing more, so the final step redirects with a code.
    const resumed = await get(jar, done.headers.location as string);
    expect(resumed.statusCode).toBe(302);
    const callback = new URL(resumed.headers.location as string);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('code')).toMatch(/^lk_/);
    expect(await findPendingRequest(server.database.db, requestId, new Date())).toBeUndefined();
  });

  it('a third-party client: the loop sends the signed-in browser to /consent, which answers the same contract', async () => {
    const jar = new Jar();
    const { requestId, done } = await signIn(jar, thirdParty);
    const resumed = await get(jar, done.headers.location as string);
    expect(resumed.statusCode).toBe(303);
    expect(resumed.headers.location).toBe(`/consent?request_id=${requestId}`);
    const page = await get(jar, resumed.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("form-action 'self' https://shop.example;");
    expect(page.body).toContain('name="decision" value="allow"');

    const csrf = hiddenField(page.body, 'csrf_token');
    expect((await post(new Jar(), '/consent', { csrf_token: csrf, request_id: requestId, decision: 'allow' })).statusCode).toBe(403);
    const denied = await post(jar, '/consent', { csrf_token: csrf, request_id: requestId, decision: 'deny' });
    expect(denied.statusCode).toBe(303);
    const error = new URL(denied.headers.location as string);
    expect(error.searchParams.get('error')).toBe('access_denied');
    expect(error.searchParams.get('iss')).toBe(server.url);
  });

  it('GET /consent without a session: 400, never the page', async () => {
    const jar = new Jar();
    const { requestId } = await parkedLogin(jar, thirdParty);
    expect((await get(jar, `/consent?request_id=${requestId}`)).statusCode).toBe(400);
  });

  it('a parked request of a kind this server has no final step for is treated as unknown', async () => {
    const db = server.database.db;
    const id = await savePendingRequest(db, 'urn:example:unknown-kind', { clientId: firstParty, scope: 'openid' }, new Date());
    expect((await get(new Jar(), `/login?request_id=${id}`)).statusCode).toBe(400);
    expect((await get(new Jar(), `/authorize/resume?request_id=${id}`)).statusCode).toBe(400);
  });

  it('reads a request parked before kinds existed as an authorization-code request', async () => {
    const db = server.database.db;
    const id = 'legacy_' + 'a'.repeat(25);
    const now = new Date();
    await db
      .insertInto('authorization_requests')
      .values({ id, client_id: firstParty, params: jsonb({ clientId: firstParty, scope: 'openid', redirectUri: REDIRECT }), created_at: now, expires_at: new Date(now.getTime() + 60_000) })
      .execute();
    expect(await findPendingRequest(db, id, now)).toMatchObject({ kind: 'authorization_code', request: { clientId: firstParty, redirectUri: REDIRECT } });
  });
});
