import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, pkcePair, postForm } from '../helpers/flow.js';

const REDIRECT = 'https://app.example.com/cb';

/** Starts a server with the given TRUST_PROXY, a user `mallory` and a client. */
async function serverTrusting(trustProxy: string, extra: Record<string, string> = {}) {
  const server = await startTestServer({ TRUST_PROXY: trustProxy, LOGIN_LOCKOUT_THRESHOLD: '0', ...extra });
  const user = await makeUser(server.database.db, { username: `mallory${Math.random().toString(36).slice(2, 8)}` });
  const { clientId } = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
  return { server, user, clientId };
}

/** A wrong-password login POST carrying `X-Forwarded-For: forwardedFor`, as a browser behind a proxy. */
async function failedLogin(server: TestServer, clientId: string, username: string, forwardedFor: string) {
  const agent = new BrowserAgent(server.url);
  const start = await agent.navigate(authorizeUrl(server.url, authorizeParams(clientId, REDIRECT, pkcePair())));
  const page = await start.response.text();
  return agent.fetch('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
    body: new URLSearchParams({ csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), username, password: 'wrong' }).toString(),
  });
}

/** The IP addresses the audit log recorded for the user's failed logins. */
async function failedLoginIps(server: TestServer, userId: string): Promise<(string | null)[]> {
  const rows = await server.database.db.selectFrom('audit_events').select('ip').where('type', '=', 'login_failed').where('user_id', '=', userId).execute();
  return rows.map((row) => row.ip);
}

describe('TRUST_PROXY=1 (one proxy in front)', () => {
  let setup: Awaited<ReturnType<typeof serverTrusting>>;
  beforeAll(async () => {
    setup = await serverTrusting('1', { RATE_LIMIT_LOGIN: '3', RATE_LIMIT_TOKEN: '3' });
  });
  afterAll(async () => setup?.server.stop());

  it('takes the address the proxy appended, not the client-written left-most one (audit row)', async () => {
    const { server, user, clientId } = setup;
    expect((await failedLogin(server, clientId, user.username, '6.6.6.6, 1.2.3.4')).status).toBe(200);
    expect(await failedLoginIps(server, user.id)).toEqual(['1.2.3.4']);
  });

  it('a forged, rotating left-most X-Forwarded-For does not escape the per-IP login limit', async () => {
    const { server, clientId } = setup;
    const statuses: number[] = [];
    // Other usernames each time, so that only the per-IP limiter can stop this.
    for (let i = 0; i < 5; i++) statuses.push((await failedLogin(server, clientId, `nobody${i}`, `6.6.6.${i}, 1.2.3.5`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('a forged, rotating left-most X-Forwarded-For does not escape the per-IP token limit', async () => {
    const { server } = setup;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', client_id: 'nobody' }, { 'x-forwarded-for': `9.9.9.${i}, 1.2.3.6` });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });
});

describe('TRUST_PROXY as a list of proxy addresses/CIDRs', () => {
  let setup: Awaited<ReturnType<typeof serverTrusting>>;
  beforeAll(async () => {
    setup = await serverTrusting('10.0.0.0/8, 127.0.0.0/8, ::1');
  });
  afterAll(async () => setup?.server.stop());

  it('skips trusted proxies from the right and stops at the first untrusted address', async () => {
    const { server, user, clientId } = setup;
    await failedLogin(server, clientId, user.username, '6.6.6.6, 1.2.3.4');
    expect(await failedLoginIps(server, user.id)).toEqual(['1.2.3.4']);
    // A chain of two trusted proxies (10.1.2.3 forwarded to us over loopback).
    await failedLogin(server, clientId, user.username, '6.6.6.6, 1.2.3.7, 10.1.2.3');
    expect((await failedLoginIps(server, user.id)).sort()).toEqual(['1.2.3.4', '1.2.3.7']);
  });
});

describe('TRUST_PROXY=false (the default)', () => {
  let setup: Awaited<ReturnType<typeof serverTrusting>>;
  beforeAll(async () => {
    setup = await serverTrusting('false', { RATE_LIMIT_LOGIN: '2' });
  });
  afterAll(async () => setup?.server.stop());

  it('ignores X-Forwarded-For: the peer address is recorded and counted', async () => {
    const { server, user, clientId } = setup;
    expect((await failedLogin(server, clientId, user.username, '1.2.3.4')).status).toBe(200);
    expect(await failedLoginIps(server, user.id)).toEqual(['127.0.0.1']);
    expect((await failedLogin(server, clientId, 'nobody-a', '5.5.5.5')).status).toBe(200);
    expect((await failedLogin(server, clientId, 'nobody-b', '7.7.7.7')).status).toBe(429);
  });
});
