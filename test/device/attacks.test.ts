import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, logIn, pkcePair, postForm } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { introspect, refresh, type ClientCredentials } from '../helpers/tokens.js';
import { jsonb } from '../../src/db/json.js';
import { updateClientRow } from '../helpers/client-rows.js';
import { makeProof, proofKey } from '../dpop/support.js';

/*
 * RFC 8628 under attack, against a real server and database. Every refusal is the RFC's error
 * (JSON at /token and /device_authorization, an HTML page at /device), never a 500.
 */

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const PASSWORD = 'correct horse battery staple';
const TTL_MS = 10 * 60 * 1000;
const GENERIC = 'That code is not valid, or it has expired or already been used.';

interface Started {
  device_code: string;
  user_code: string;
  verification_uri_complete: string;
  interval: number;
  expires_in: number;
}

/** The one form on a page that posts to `action`: its hidden fields. */
function formOf(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form[^>]*action="${action.replace(/[/?]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</form>`).exec(html);
  if (!form) throw new Error(`no form posting to ${action} in page:\n${html.slice(0, 1500)}`);
  const fields: Record<string, string> = {};
  for (const match of form[1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!;
  return fields;
}

/** The alert sentence of a page, if any. */
const alertOf = (html: string) => /role="alert"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();
const h1Of = (html: string) => /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '').trim();
const pathOf = (url: string) => new URL(url).pathname;

describe('device authorization grant under attack (RFC 8628)', { timeout: 60_000 }, () => {
  let server: TestServer;
  const clock = new ManualClock();
  let alice: Awaited<ReturnType<typeof makeUser>>;
  let bob: Awaited<ReturnType<typeof makeUser>>;
  /** A confidential device client (it may introspect its own tokens). */
  let app: ClientCredentials;
  const db = () => server.database.db;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_DEVICE: '0', RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0', RATE_LIMIT_AUTHORIZE: '0' }, undefined, { clock });
    alice = await makeUser(db(), { username: 'alice', password: PASSWORD, email: 'alice@example.com' });
    bob = await makeUser(db(), { username: 'bob', password: PASSWORD });
    app = await deviceClient();
  });
  afterAll(async () => server?.stop());

  function deviceClient(extra: Record<string, unknown> = {}): Promise<ClientCredentials> {
    return makeClient(db(), { name: 'Living-room TV', type: 'confidential', grantTypes: [DEVICE_GRANT, 'refresh_token'], ...extra });
  }

  const authFields = (client: ClientCredentials): [Record<string, string>, Record<string, string>] =>
    client.secret ? [{}, { authorization: basicAuth(client.clientId, client.secret) }] : [{ client_id: client.clientId }, {}];

  async function startRaw(client: ClientCredentials, params: Record<string, string> = {}) {
    const [fields, headers] = authFields(client);
    const response = await postForm(`${server.url}/device_authorization`, { ...fields, ...params }, headers);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text.startsWith('{') ? JSON.parse(text) : { raw: text }) as Record<string, unknown> };
  }

  async function start(client: ClientCredentials = app, scope = 'openid profile email offline_access'): Promise<Started> {
    const result = await startRaw(client, { scope });
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    return result.body as unknown as Started;
  }

  async function poll(deviceCode: string, client: ClientCredentials = app) {
    const [fields, headers] = authFields(client);
    const response = await postForm(`${server.url}/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, ...fields }, headers);
    const text = await response.text();
    expect(response.status, text).toBeLessThan(500);
    return { status: response.status, body: JSON.parse(text) as Record<string, string> };
  }

  async function pollError(deviceCode: string, client: ClientCredentials = app) {
    const { status, body } = await poll(deviceCode, client);
    return `${status} ${body.error ?? 'tokens'}`;
  }

  /** Opens /device and posts a code with the page's CSRF token; follows redirects inside the issuer. */
  async function enterCode(agent: BrowserAgent, userCode: string) {
    const entry = await agent.navigate('/device');
    expect(entry.response.status).toBe(200);
    return agent.submit('/device', { user_code: userCode, csrf_token: hiddenField(await entry.response.text(), 'csrf_token') });
  }

  /**
   * Enters the code, signs in when asked, consents when asked (unless told not to), and stops on
   * the approval page. Returns the pages seen after the code was entered, and the approval form.
   */
  async function reachApproval(agent: BrowserAgent, userCode: string, user: { username: string }, options: { consent?: 'allow' | 'deny' | 'stop' } = {}) {
    let step = await enterCode(agent, userCode);
    expect(step.leftTo).toBeUndefined();
    const visited = [pathOf(step.url)];
    let page = await step.response.text();
    if (pathOf(step.url) === '/login') {
      step = await agent.submit('/login', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), username: user.username, password: PASSWORD });
      visited.push(pathOf(step.url));
      page = await step.response.text();
    }
    if (pathOf(step.url) === '/consent' && options.consent !== 'stop') {
      step = await agent.submit('/consent', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), decision: options.consent ?? 'allow' });
      visited.push(pathOf(step.url));
      page = await step.response.text();
    }
    const atApproval = pathOf(step.url) === '/device/approve' && step.response.status === 200;
    return { visited, page, status: step.response.status, fields: atApproval ? formOf(page, '/device/approve') : undefined };
  }

  async function approval(agent: BrowserAgent, userCode: string, user: { username: string }) {
    const reached = await reachApproval(agent, userCode, user);
    expect(reached.fields, `not at the approval page: ${reached.visited.join(' → ')} ${reached.status}`).toBeDefined();
    return reached.fields!;
  }

  async function answer(agent: BrowserAgent, fields: Record<string, string>, decision: string) {
    const done = await agent.submit('/device/approve', { ...fields, decision });
    const page = await done.response.text();
    return { status: done.response.status, h1: h1Of(page), page };
  }

  async function allowAs(user: { username: string }, started: Started) {
    const agent = new BrowserAgent(server.url);
    const result = await answer(agent, await approval(agent, started.user_code, user), 'allow');
    expect(result.status).toBe(200);
    expect(result.h1).toBe('Device connected');
    return agent;
  }

  describe('DPoP (RFC 9449)', () => {
    it('a poll with a DPoP proof gets a bound token, and a public device client’s family refreshes only with that key', async () => {
      const device = await deviceClient({ type: 'public', scopes: ['openid', 'offline_access'] });
      const started = await start(device, 'openid offline_access');
      await allowAs(alice, started);
      const key = await proofKey('ES256');
      const proof = () => makeProof(key, { htu: `${server.url}/token`, iat: Math.floor(clock.now() / 1000) });
      const polled = await postForm(`${server.url}/token`, { grant_type: DEVICE_GRANT, device_code: started.device_code, client_id: device.clientId }, { dpop: await proof() });
      const tokens = (await polled.json()) as { token_type: string; access_token: string; refresh_token: string };
      expect(polled.status).toBe(200);
      expect(tokens.token_type).toBe('DPoP');
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      const unproven = await refresh(server.url, device, tokens.refresh_token);
      expect(unproven.status).toBe(400);
      expect(((await unproven.json()) as { error: string }).error).toBe('invalid_grant');
      // Nothing was consumed by the refusal: the key's holder refreshes.
      const withKey = await postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: device.clientId }, { dpop: await proof() });
      expect(withKey.status).toBe(200);
    });
  });

  describe('/token polling', () => {
    it('polling faster than the interval answers slow_down, and the interval grows by 5 s each time and stays grown', async () => {
      const started = await start();
      expect(started.interval).toBe(5);
      expect(await pollError(started.device_code)).toBe('400 authorization_pending');
      expect(await pollError(started.device_code)).toBe('400 slow_down'); // interval now 10
      clock.advance(6_000);
      expect(await pollError(started.device_code)).toBe('400 slow_down'); // 6 < 10: it grew; now 15
      clock.advance(16_000);
      expect(await pollError(started.device_code)).toBe('400 authorization_pending'); // 16 ≥ 15
      expect(await pollError(started.device_code)).toBe('400 slow_down'); // now 20: remembered, not reset
      clock.advance(16_000);
      expect(await pollError(started.device_code)).toBe('400 slow_down'); // 16 < 20; now 25
      clock.advance(26_000);
      expect(await pollError(started.device_code)).toBe('400 authorization_pending');
    });

    it('another client polling with the device code gets invalid_grant, touches nothing, and cannot spend the approval', async () => {
      const started = await start();
      const other = await deviceClient({ name: 'Thief' });
      const otherPublic = await makeClient(db(), { name: 'Public thief', type: 'public', grantTypes: [DEVICE_GRANT] });
      expect(await pollError(started.device_code, other)).toBe('400 invalid_grant');
      expect(await pollError(started.device_code, otherPublic)).toBe('400 invalid_grant');
      // The owner's first poll is not slowed down by the thief's.
      expect(await pollError(started.device_code)).toBe('400 authorization_pending');
      await allowAs(alice, started);
      expect(await pollError(started.device_code, other)).toBe('400 invalid_grant');
      expect(await pollError(started.device_code, otherPublic)).toBe('400 invalid_grant');
      const { status, body } = await poll(started.device_code);
      expect(status).toBe(200);
      expect(decodeJwt(body.access_token!)).toMatchObject({ sub: alice.id, client_id: app.clientId });
    });

    it('a confidential client polling without its secret, or with a wrong one, gets 401 invalid_client', async () => {
      const started = await start();
      for (const headers of [{}, { authorization: basicAuth(app.clientId, 'wrong secret') }] as Record<string, string>[]) {
        const fields: Record<string, string> = { grant_type: DEVICE_GRANT, device_code: started.device_code, ...(Object.keys(headers).length ? {} : { client_id: app.clientId }) };
        const response = await postForm(`${server.url}/token`, fields, headers);
        expect(response.status).toBe(401);
        expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
      }
    });

    it.each([
      ['unknown', 'lk_dc_' + 'A'.repeat(43)],
      ['without the prefix', 'nothing-like-a-code'],
      ['empty', ''],
      ['10 kB', 'lk_dc_' + 'A'.repeat(10 * 1024)],
      ['with a NUL', 'lk_dc_\u0000' + 'A'.repeat(42)],
      ['only a NUL', '\u0000'],
      ['non-ASCII', 'lk_dc_ÄÖÜ😀'],
    ])('a device_code that is %s: invalid_grant or invalid_request, never 500', async (_name, deviceCode) => {
      const { status, body } = await poll(deviceCode);
      expect(status).toBe(400);
      expect(['invalid_grant', 'invalid_request']).toContain(body.error);
    });

    it('a missing or repeated device_code parameter: invalid_request', async () => {
      const started = await start();
      const auth = { authorization: basicAuth(app.clientId, app.secret!) };
      const missing = await postForm(`${server.url}/token`, { grant_type: DEVICE_GRANT }, auth);
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { error: string }).error).toBe('invalid_request');
      const repeated = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
        body: `grant_type=${encodeURIComponent(DEVICE_GRANT)}&device_code=${started.device_code}&device_code=${started.device_code}`,
      });
      expect(repeated.status).toBe(400);
      expect(((await repeated.json()) as { error: string }).error).toBe('invalid_request');
    });

    it('a device code redeemed twice: the second gets invalid_grant and the first one\'s tokens are revoked', async () => {
      const started = await start();
      await allowAs(alice, started);
      const first = await poll(started.device_code);
      expect(first.status).toBe(200);
      expect(first.body.refresh_token).toMatch(/^lk_rt_/);
      expect(await introspect(server.url, app, first.body.access_token!)).toMatchObject({ active: true });
      const eventsBefore = await db().selectFrom('audit_events').select('id').execute();

      expect(await pollError(started.device_code)).toBe('400 invalid_grant');
      expect(await introspect(server.url, app, first.body.access_token!)).toEqual({ active: false });
      expect(await introspect(server.url, app, first.body.refresh_token!)).toEqual({ active: false });
      const refreshed = await refresh(server.url, app, first.body.refresh_token!);
      expect(refreshed.status).toBe(400);
      expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
      const grant = await db().selectFrom('grants').select(['revoked_at']).where('session_id', '=', decodeJwt(first.body.id_token!).sid as string).executeTakeFirstOrThrow();
      expect(grant.revoked_at).not.toBeNull();
      const newEvents = await db().selectFrom('audit_events').select(['type', 'client_id']).where('id', 'not in', eventsBefore.map((row) => row.id)).execute();
      expect(newEvents.some((event) => event.client_id === app.clientId && /revok|replay|reuse/.test(event.type)), JSON.stringify(newEvents)).toBe(true);
    });

    it('twenty concurrent polls of an approved code: exactly one gets tokens', async () => {
      const started = await start();
      await allowAs(alice, started);
      const results = await Promise.all(Array.from({ length: 20 }, () => poll(started.device_code)));
      const winners = results.filter((result) => result.status === 200);
      expect(winners).toHaveLength(1);
      for (const result of results.filter((r) => r.status !== 200)) expect(result.body.error).toBe('invalid_grant');
      // The others were replays of a used code: the one grant is revoked (as for a replayed authorization code).
      expect(await introspect(server.url, app, winners[0]!.body.access_token!)).toEqual({ active: false });
      const grants = await db().selectFrom('grants').select(['id', 'revoked_at']).where('client_id', '=', app.clientId).where('session_id', '=', decodeJwt(winners[0]!.body.access_token!).sid as string).execute();
      expect(grants).toHaveLength(1);
    });

    it('expired (past DEVICE_CODE_TTL): expired_token at /token, the generic sentence on /device, and the parked approval refuses', async () => {
      const started = await start();
      const parked = await start();
      const agent = new BrowserAgent(server.url);
      const fields = await approval(agent, parked.user_code, alice); // parked on the approval page
      clock.advance(TTL_MS + 1_000);

      expect(await pollError(started.device_code)).toBe('400 expired_token');
      const entered = await enterCode(new BrowserAgent(server.url), started.user_code);
      expect(entered.response.status).toBe(400);
      expect(alertOf(await entered.response.text())).toContain(GENERIC);

      const late = await answer(agent, fields, 'allow');
      expect(late.status).toBe(400);
      expect(late.h1).toBe('Code not valid or expired');
      expect(await pollError(parked.device_code)).toBe('400 expired_token');
    });
  });

  describe('/device_authorization', () => {
    it('a client not registered for the device grant: 400 unauthorized_client', async () => {
      const web = await makeClient(db(), { name: 'Web app', redirectUris: ['https://app.example.com/cb'] });
      const spa = await makeClient(db(), { name: 'SPA', type: 'public', redirectUris: ['https://spa.example.com/cb'] });
      for (const client of [web, spa]) {
        const result = await startRaw(client, { scope: 'openid' });
        expect(result.status).toBe(400);
        expect(result.body.error).toBe('unauthorized_client');
      }
    });

    it('a scope outside the client\'s: 400 invalid_scope (admin included)', async () => {
      const narrow = await deviceClient({ scopes: ['openid', 'profile'] });
      for (const scope of ['openid email', 'admin', 'openid made_up']) {
        const result = await startRaw(narrow, { scope });
        expect(result.status, scope).toBe(400);
        expect(result.body.error, scope).toBe('invalid_scope');
      }
    });

    it('a confidential client without its secret, with a wrong one, or an unknown client: 401 invalid_client', async () => {
      const attempts = [
        postForm(`${server.url}/device_authorization`, { client_id: app.clientId, scope: 'openid' }),
        postForm(`${server.url}/device_authorization`, { scope: 'openid' }, { authorization: basicAuth(app.clientId, 'nope') }),
        postForm(`${server.url}/device_authorization`, { client_id: 'no-such-client', scope: 'openid' }),
        postForm(`${server.url}/device_authorization`, { scope: 'openid' }),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(401);
        expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
      }
    });

    it('answers JSON errors, never 500, to hostile bodies', async () => {
      const bodies: [string, string][] = [
        ['application/json', JSON.stringify({ client_id: app.clientId })],
        ['application/x-www-form-urlencoded', 'client_id=%00&scope=openid'],
        ['application/x-www-form-urlencoded', `client_id=${'x'.repeat(10_000)}`],
        ['application/x-www-form-urlencoded', 'scope=%00%00'],
        ['text/plain', 'hello'],
      ];
      for (const [type, body] of bodies) {
        const response = await fetch(`${server.url}/device_authorization`, { method: 'POST', headers: { 'content-type': type }, body });
        expect(response.status, `${type} ${body.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${type} ${body.slice(0, 40)}`).toBeLessThan(500);
      }
      const get = await fetch(`${server.url}/device_authorization`);
      expect(get.status).toBeLessThan(500);
      expect(get.status).toBeGreaterThanOrEqual(400);
    });
  });

  describe('the /device pages', () => {
    it('one generic sentence for an unknown, expired, used or already answered code; a format hint for a malformed one', async () => {
      const used = await start();
      await allowAs(alice, used);
      expect((await poll(used.device_code)).status).toBe(200);
      const denied = await start();
      const agent = new BrowserAgent(server.url);
      expect((await answer(agent, await approval(agent, denied.user_code, alice), 'deny')).h1).toBe('Request denied');
      const approvedUnpolled = await start();
      await allowAs(alice, approvedUnpolled);
      const expired = await start();
      clock.advance(TTL_MS + 1_000);

      const sentences: string[] = [];
      for (const code of ['BCDF-BCDF', used.user_code, denied.user_code, approvedUnpolled.user_code, expired.user_code]) {
        const entered = await enterCode(new BrowserAgent(server.url), code);
        expect(entered.response.status, code).toBe(400);
        sentences.push(alertOf(await entered.response.text())!);
      }
      expect(new Set(sentences).size).toBe(1);
      expect(sentences[0]).toContain(GENERIC);

      for (const malformed of ['BCDF-GHJ', 'AEIO-UAEI', '1234-5678', 'ВCDF-GHJK', 'x'.repeat(200), 'BCDF\tGHJK!']) {
        const entered = await enterCode(new BrowserAgent(server.url), malformed);
        expect(entered.response.status, malformed).toBe(400);
        const page = await entered.response.text();
        expect(alertOf(page), malformed).toContain('letters your device shows');
        expect(page).toContain('name="user_code"');
      }
      // A NUL (or a value over 4096 characters) makes the whole form unreadable, CSRF token included: 403, never 500.
      for (const hostile of ['BCDF-GHJK\u0000', 'B'.repeat(5000)]) {
        const entered = await enterCode(new BrowserAgent(server.url), hostile);
        expect([400, 403], JSON.stringify(hostile.slice(0, 12))).toContain(entered.response.status);
      }
    });

    it('hostile query strings and forms on /device and /device/approve: never a 500, never a reflected tag', async () => {
      const agent = new BrowserAgent(server.url);
      const csrf = hiddenField(await (await agent.navigate('/device')).response.text(), 'csrf_token');
      const gets = [
        '/device?user_code=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
        '/device?user_code=%00',
        '/device?user_code=a&user_code=b',
        `/device?user_code=${'B'.repeat(5000)}`,
        '/device?user_code[x]=1',
        '/device/approve',
        '/device/approve?request_id=%00',
        '/device/approve?request_id=not-a-uuid',
        '/device/approve?request_id=00000000-0000-0000-0000-000000000000',
        '/device/approve?request_id=a&request_id=b',
      ];
      for (const url of gets) {
        const response = await agent.fetch(url);
        const body = await response.text();
        expect(response.status, url).toBeLessThan(500);
        expect(body, url).not.toMatch(/<script/i);
      }
      const posts: Record<string, string>[] = [
        { csrf_token: csrf, request_id: 'not-a-uuid', decision: 'allow' },
        { csrf_token: csrf, request_id: '00000000-0000-0000-0000-000000000000', decision: 'allow' },
        { csrf_token: csrf, decision: 'allow' },
        { csrf_token: csrf, request_id: 'x'.repeat(5000), decision: 'deny' },
      ];
      for (const fields of posts) {
        const result = await agent.submit('/device/approve', fields);
        expect(result.response.status, JSON.stringify(fields).slice(0, 80)).toBeGreaterThanOrEqual(400);
        expect(result.response.status, JSON.stringify(fields).slice(0, 80)).toBeLessThan(500);
      }
    });

    it('a CSRF-less (or cross-browser) POST /device is 403 and parks nothing', async () => {
      const started = await start();
      const parkedBefore = (await db().selectFrom('authorization_requests').select('id').execute()).length;
      const noCookie = await postForm(`${server.url}/device`, { user_code: started.user_code });
      expect(noCookie.status).toBe(403);
      const agent = new BrowserAgent(server.url);
      await agent.navigate('/device');
      const noField = await agent.submit('/device', { user_code: started.user_code });
      expect(noField.response.status).toBe(403);
      const wrongField = await agent.submit('/device', { user_code: started.user_code, csrf_token: 'forged' });
      expect(wrongField.response.status).toBe(403);
      const other = new BrowserAgent(server.url);
      const otherToken = hiddenField(await (await other.navigate('/device')).response.text(), 'csrf_token');
      const crossed = await agent.submit('/device', { user_code: started.user_code, csrf_token: otherToken });
      expect(crossed.response.status).toBe(403);
      expect((await db().selectFrom('authorization_requests').select('id').execute()).length).toBe(parkedBefore);
      expect(await pollError(started.device_code)).toBe('400 authorization_pending');
    });

    it('a CSRF-less POST /device/approve is 403 and decides nothing', async () => {
      const started = await start();
      const agent = new BrowserAgent(server.url);
      const fields = await approval(agent, started.user_code, alice);
      const { csrf_token: _csrf, ...withoutCsrf } = fields;
      for (const attempt of [withoutCsrf, { ...withoutCsrf, csrf_token: 'forged' }, { ...withoutCsrf, csrf_token: '' }]) {
        for (const decision of ['allow', 'deny']) {
          const result = await answer(agent, attempt, decision);
          expect(result.status).toBe(403);
        }
      }
      // A cross-site form post: the browser sends the session cookie but the attacker cannot know the CSRF token.
      const crossSite = await fetch(`${server.url}/device/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: agent.cookieHeader(), origin: 'https://evil.example' },
        body: new URLSearchParams({ request_id: fields.request_id!, decision: 'allow' }).toString(),
        redirect: 'manual',
      });
      expect(crossSite.status).toBe(403);
      expect(await pollError(started.device_code)).toBe('400 authorization_pending');
      // The genuine answer still works afterwards.
      expect((await answer(agent, fields, 'allow')).h1).toBe('Device connected');
    });

    it('a leaked request_id without the session (another browser) decides nothing', async () => {
      const started = await start();
      const fields = await approval(new BrowserAgent(server.url), started.user_code, alice);
      const stranger = new BrowserAgent(server.url);
      const strangerCsrf = hiddenField(await (await stranger.navigate('/device')).response.text(), 'csrf_token');
      const result = await answer(stranger, { request_id: fields.request_id!, csrf_token: strangerCsrf }, 'allow');
      expect(result.status).toBeLessThan(500);
      expect(result.h1).not.toBe('Device connected');
      expect(await pollError(started.device_code)).toBe('400 authorization_pending');
    });

    it('an undecided answer (decision missing or unknown) approves nothing', async () => {
      const started = await start();
      const agent = new BrowserAgent(server.url);
      const fields = await approval(agent, started.user_code, alice);
      for (const decision of ['', 'yes', 'ALLOW']) {
        const result = await answer(agent, fields, decision);
        expect(result.status).toBeLessThan(500);
        expect(result.h1, decision).not.toBe('Device connected');
      }
      const pending = await poll(started.device_code);
      expect(pending.status).toBe(400);
      expect(pending.body.access_token).toBeUndefined();
    });

    it('the request_id of an ordinary /authorize request does not complete anything at /device/approve', async () => {
      const thirdParty = await makeClient(db(), { name: 'Web elsewhere', redirectUris: ['https://web.example.com/cb'], thirdParty: true });
      const agent = new BrowserAgent(server.url);
      const atConsent = await logIn(agent, authorizeUrl(server.url, authorizeParams(thirdParty.clientId, 'https://web.example.com/cb', pkcePair())), 'alice', PASSWORD);
      expect(pathOf(atConsent.url)).toBe('/consent');
      const page = await atConsent.response.text();
      const result = await agent.submit('/device/approve', { request_id: hiddenField(page, 'request_id'), csrf_token: hiddenField(page, 'csrf_token'), decision: 'allow' });
      expect(result.leftTo).toBeUndefined(); // never a redirect to the client with a code
      expect(result.response.status).toBeGreaterThanOrEqual(400);
      expect(result.response.status).toBeLessThan(500);
      const codes = await db().selectFrom('auth_codes').select('code_hash').where('client_id', '=', thirdParty.clientId).execute();
      expect(codes).toHaveLength(0);
    });

    it('GET /device?user_code= only pre-fills, even with a session: nothing is parked or approved', async () => {
      const started = await start();
      const agent = new BrowserAgent(server.url);
      await approval(agent, (await start()).user_code, alice); // now `agent` has a session
      const parkedBefore = (await db().selectFrom('authorization_requests').select('id').execute()).length;
      for (const url of [started.verification_uri_complete, `/device?user_code=${started.user_code}&decision=allow`]) {
        const result = await agent.navigate(url);
        expect(result.response.status).toBe(200);
        expect(pathOf(result.url)).toBe('/device');
        const page = await result.response.text();
        expect(hiddenField(page, 'user_code')).toBe(started.user_code);
        expect(page).toContain('<h1>Connect a device</h1>');
      }
      expect((await db().selectFrom('authorization_requests').select('id').execute()).length).toBe(parkedBefore);
      expect(await pollError(started.device_code)).toBe('400 authorization_pending');
    });
  });

  describe('racing answers', () => {
    it('two browsers answering one code at once: exactly one decision wins, and the device gets that one', async () => {
      for (let round = 0; round < 6; round++) {
        const racer = await deviceClient({ name: `Race ${round}` });
        const started = await start(racer);
        const aliceAgent = new BrowserAgent(server.url);
        const bobAgent = new BrowserAgent(server.url);
        const [aliceFields, bobFields] = await Promise.all([approval(aliceAgent, started.user_code, alice), approval(bobAgent, started.user_code, bob)]);
        const aliceDecision = 'allow';
        const bobDecision = round % 2 === 0 ? 'deny' : 'allow';
        const [a, b] = await Promise.all([answer(aliceAgent, aliceFields, aliceDecision), answer(bobAgent, bobFields, bobDecision)]);
        const outcomes = [a, b].map((r) => r.status).sort();
        expect(outcomes, `round ${round}: ${a.h1} / ${b.h1}`).toEqual([200, 400]);
        const loser = a.status === 400 ? a : b;
        expect(loser.h1).toBe('Code not valid or expired');
        const winner = a.status === 200 ? { user: alice, decision: aliceDecision } : { user: bob, decision: bobDecision };
        const polled = await poll(started.device_code, racer);
        if (winner.decision === 'allow') {
          expect(polled.status).toBe(200);
          expect(decodeJwt(polled.body.access_token!).sub).toBe(winner.user.id);
        } else {
          expect(polled.body.error).toBe('access_denied');
        }
        const decisions = await db()
          .selectFrom('audit_events')
          .select('type')
          .where('client_id', '=', racer.clientId)
          .where('type', 'in', ['device_authorization_approved', 'device_authorization_denied'])
          .execute();
        expect(decisions).toHaveLength(1);
      }
    });

    it('answered in another tab: the second tab gets the generic page', async () => {
      const started = await start();
      const agent = new BrowserAgent(server.url);
      const first = await approval(agent, started.user_code, alice);
      const second = await approval(agent, started.user_code, alice); // same browser, second tab
      expect((await answer(agent, first, 'allow')).h1).toBe('Device connected');
      const late = await answer(agent, second, 'deny');
      expect(late.status).toBe(400);
      expect(late.h1).toBe('Code not valid or expired');
      expect((await poll(started.device_code)).status).toBe(200);
    });
  });

  describe('changes after the approval', () => {
    it('the client loses the device grant after the user approved: the poll is refused', async () => {
      const shrinking = await deviceClient({ name: 'Shrinking' });
      const started = await start(shrinking);
      await allowAs(alice, started);
      await updateClientRow(server, shrinking.clientId, { grant_types: jsonb(['refresh_token']) });
      const { status, body } = await poll(started.device_code, shrinking);
      expect(status).toBe(400);
      expect(body.access_token).toBeUndefined();
      expect(['unauthorized_client', 'invalid_grant']).toContain(body.error);
    });

    it('the client loses the device grant while the user is on the approval page: Allow approves nothing', async () => {
      const shrinking = await deviceClient({ name: 'Shrinking early' });
      const started = await start(shrinking);
      const agent = new BrowserAgent(server.url);
      const fields = await approval(agent, started.user_code, alice);
      await updateClientRow(server, shrinking.clientId, { grant_types: jsonb(['refresh_token']) });
      const result = await answer(agent, fields, 'allow');
      expect(result.status).toBe(400);
      expect(result.h1).not.toBe('Device connected');
      const { status, body } = await poll(started.device_code, shrinking);
      expect(status).toBe(400);
      expect(body.access_token).toBeUndefined();
    });

    it('the client loses a scope after the user approved: the tokens carry only what remains', async () => {
      const shrinking = await deviceClient({ name: 'Narrowing' });
      const started = await start(shrinking, 'openid profile email offline_access');
      await allowAs(alice, started);
      await updateClientRow(server, shrinking.clientId, { scopes: jsonb(['openid', 'profile', 'offline_access']) });
      const { status, body } = await poll(started.device_code, shrinking);
      expect(status).toBe(200);
      expect(body.scope).toBe('openid profile offline_access');
      expect(decodeJwt(body.id_token!).email).toBeUndefined();
    });

    it('the user is disabled after approving: invalid_grant', async () => {
      const carol = await makeUser(db(), { username: 'carol', password: PASSWORD });
      const started = await start();
      await allowAs(carol, started);
      await db().updateTable('users').set({ disabled: true }).where('id', '=', carol.id).execute();
      const { status, body } = await poll(started.device_code);
      expect(status).toBe(400);
      expect(body.error).toBe('invalid_grant');
    });
  });

  describe('a third-party device client', () => {
    it('asks for consent once (login → consent → approval), later only the approval page; a consent deny approves nothing', async () => {
      const dave = await makeUser(db(), { username: 'dave', password: PASSWORD });
      const outsider = await deviceClient({ name: 'Outsider TV', thirdParty: true });

      // A consent deny first: the device must not get tokens.
      const refused = await start(outsider, 'openid profile');
      const refusing = await reachApproval(new BrowserAgent(server.url), refused.user_code, dave, { consent: 'deny' });
      expect(refusing.visited.slice(0, 2)).toEqual(['/login', '/consent']);
      expect(refusing.status).toBeLessThan(500);
      expect(refusing.fields).toBeUndefined(); // no approval page after a consent deny
      expect(h1Of(refusing.page)).toBe('Request denied'); // observed: a consent deny denies the device
      const afterDeny = await poll(refused.device_code, outsider);
      expect(afterDeny.status).toBe(400);
      expect(afterDeny.body.error).toBe('access_denied');

      const first = await start(outsider, 'openid profile');
      const agent = new BrowserAgent(server.url);
      const reached = await reachApproval(agent, first.user_code, dave);
      expect(reached.visited).toEqual(['/login', '/consent', '/device/approve']);
      expect((await answer(agent, reached.fields!, 'allow')).h1).toBe('Device connected');
      expect((await poll(first.device_code, outsider)).status).toBe(200);

      // Same browser, same scopes: consent remembered, the approval page still asked.
      const second = await start(outsider, 'openid profile');
      const again = await reachApproval(agent, second.user_code, dave);
      expect(again.visited).toEqual(['/device/approve']);
      expect(again.page).toContain(second.user_code);
      expect((await answer(agent, again.fields!, 'allow')).h1).toBe('Device connected');

      // A new browser: login, then the approval page, no consent.
      const third = await start(outsider, 'openid profile');
      const elsewhere = await reachApproval(new BrowserAgent(server.url), third.user_code, dave);
      expect(elsewhere.visited).toEqual(['/login', '/device/approve']);

      // More scope than consented: consent again.
      const wider = await start(outsider, 'openid profile email');
      const widened = await reachApproval(agent, wider.user_code, dave, { consent: 'stop' });
      expect(widened.visited).toEqual(['/consent']);
    });
  });
});

describe('user-code guessing is rate-limited per IP (RATE_LIMIT_DEVICE)', { timeout: 60_000 }, () => {
  let server: TestServer;
  let tv: ClientCredentials;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_DEVICE: '3', TRUST_PROXY: '1', RATE_LIMIT_TOKEN: '5' });
    tv = await makeClient(server.database.db, { name: 'TV', type: 'public', grantTypes: [DEVICE_GRANT] });
  });
  afterAll(async () => server?.stop());

  /** A request from `ip` (through the one trusted proxy) with the agent's cookies. */
  function from(agent: BrowserAgent, ip: string, path: string, body?: Record<string, string>) {
    return agent.fetch(path, {
      method: body ? 'POST' : 'GET',
      headers: { 'x-forwarded-for': ip, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: body ? new URLSearchParams(body).toString() : undefined,
    });
  }

  async function csrfFor(agent: BrowserAgent, ip: string) {
    return hiddenField(await (await from(agent, ip, '/device')).text(), 'csrf_token');
  }

  it('POST /device over the limit: 429 HTML with Retry-After, even for a real code; other addresses unaffected', async () => {
    const agent = new BrowserAgent(server.url);
    const ip = '203.0.113.10';
    const csrf = await csrfFor(agent, ip);
    for (const guess of ['BCDF-GHJK', 'BCDF-GHJL', 'BCDF-GHJM']) {
      expect((await from(agent, ip, '/device', { user_code: guess, csrf_token: csrf })).status).toBe(400);
    }
    const started = (await (await postForm(`${server.url}/device_authorization`, { client_id: tv.clientId, scope: 'openid' })).json()) as Started;
    const limited = await from(agent, ip, '/device', { user_code: started.user_code, csrf_token: csrf });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^text\/html/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-security-policy')).toBeTruthy();
    expect(await limited.text()).not.toContain(started.user_code);

    const elsewhere = new BrowserAgent(server.url);
    const otherIp = '198.51.100.20';
    const fine = await from(elsewhere, otherIp, '/device', { user_code: 'BCDF-GHJK', csrf_token: await csrfFor(elsewhere, otherIp) });
    expect(fine.status).toBe(400);
  });

  it('/device_authorization is counted by the /token per-IP limit (RATE_LIMIT_TOKEN), with a JSON 429', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.12' };
    const statuses: number[] = [];
    let deviceCode = '';
    for (let i = 0; i < 3; i++) {
      const response = await postForm(`${server.url}/device_authorization`, { client_id: tv.clientId, scope: 'openid' }, headers);
      statuses.push(response.status);
      if (response.status === 200) deviceCode = ((await response.json()) as Started).device_code;
    }
    for (let i = 0; i < 2; i++) statuses.push((await postForm(`${server.url}/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: tv.clientId }, headers)).status);
    expect(statuses).toEqual([200, 200, 200, 400, 400]);
    const limited = await postForm(`${server.url}/device_authorization`, { client_id: tv.clientId, scope: 'openid' }, headers);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toBeTruthy();
    const polled = await postForm(`${server.url}/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: tv.clientId }, headers);
    expect(polled.status).toBe(429);
  });

  it('GET /device?user_code= counts too', async () => {
    const agent = new BrowserAgent(server.url);
    const ip = '203.0.113.11';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await from(agent, ip, `/device?user_code=BCDF-GHJ${'KLMN'[i]}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
