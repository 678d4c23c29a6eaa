import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient } from '../helpers/fixtures.js';
import { authorizeParams, authorizeUrl, pkcePair } from '../helpers/flow.js';

const REDIRECT = 'https://app.example.com/callback';

describe('/authorize refuses bad requests', () => {
  let server: TestServer;
  let clientId: string;
  let noCodeClientId: string;
  const pkce = pkcePair();
  const get = (params: Record<string, string | undefined>) => fetch(authorizeUrl(server.url, params), { redirect: 'manual' });
  const valid = (extra: Record<string, string | undefined> = {}) => authorizeParams(clientId, REDIRECT, pkce, extra);

  beforeAll(async () => {
    server = await startTestServer();
    const db = server.database.db;
    clientId = (await makeClient(db, { redirectUris: [REDIRECT, 'https://app.example.com/other'], scopes: ['openid', 'profile', 'email', 'offline_access'] })).clientId;
    noCodeClientId = (await makeClient(db, { redirectUris: [REDIRECT], grantTypes: ['refresh_token'] })).clientId;
  });
  afterAll(async () => server?.stop());

  async function expectErrorPage(response: Response, text: RegExp) {
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const body = await response.text();
    expect(body).toMatch(text);
    // Words for people: no protocol jargon; the detail is in the log under the reference shown.
    expect(body).not.toMatch(/client_id|redirect_uri|invalid_request/);
    expect(body).toContain(`<code>${response.headers.get('x-request-id')}</code>`);
    return body;
  }

  describe('client and redirect URI problems: an HTML page, never a redirect', () => {
    it('unknown client_id', async () => {
      await expectErrorPage(await get(valid({ client_id: 'no-such-client' })), /not registered with this sign-in service/);
    });

    it('missing client_id', async () => {
      await expectErrorPage(await get(valid({ client_id: undefined })), /not registered with this sign-in service/);
    });

    it('missing redirect_uri when the client has several', async () => {
      await expectErrorPage(await get(valid({ redirect_uri: undefined })), /incomplete or not valid/);
    });

    it.each([
      ['a suffix', `${REDIRECT}x`],
      ['a path suffix', `${REDIRECT}/evil`],
      ['a trailing slash', `${REDIRECT}/`],
      ['an added query', `${REDIRECT}?next=https://evil.example`],
      ['a fragment', `${REDIRECT}#frag`],
      ['other case in the host', 'https://APP.example.com/callback'],
      ['other case in the path', 'https://app.example.com/Callback'],
      ['other scheme', 'http://app.example.com/callback'],
      ['other port', 'https://app.example.com:444/callback'],
      ['the default port spelled out', 'https://app.example.com:443/callback'],
      ['userinfo before the host', 'https://app.example.com@evil.example/callback'],
      ['a registered URI as userinfo', 'https://evil.example#@app.example.com/callback'],
      ['a percent-encoded path', 'https://app.example.com/%63allback'],
      ['an encoded slash', 'https://app.example.com%2Fcallback'],
      ['a backslash', 'https://app.example.com\\@evil.example/callback'],
      ['a subdomain', 'https://evil.app.example.com/callback'],
      ['a lookalike domain', 'https://app.example.com.evil.example/callback'],
      ['leading white space', ` ${REDIRECT}`],
      ['a javascript: URI', 'javascript:alert(document.domain)//'],
      ['a relative path', '/callback'],
    ])('a redirect_uri with %s', async (_label, redirectUri) => {
      await expectErrorPage(await get(valid({ redirect_uri: redirectUri })), /an address it has not registered/);
    });

    it('a duplicated parameter (cannot know which redirect_uri to trust)', async () => {
      const url = new URL(authorizeUrl(server.url, valid()));
      url.searchParams.append('redirect_uri', 'https://evil.example/cb');
      await expectErrorPage(await fetch(url, { redirect: 'manual' }), /incomplete or not valid/);
    });

    it('echoes nothing of the request back (the detail goes to the log)', async () => {
      const url = new URL(authorizeUrl(server.url, valid()));
      url.searchParams.append('<script>alert(1)</script>', 'a');
      url.searchParams.append('<script>alert(1)</script>', 'b');
      const body = await expectErrorPage(await fetch(url, { redirect: 'manual' }), /incomplete or not valid/);
      expect(body).not.toContain('alert(1)');
    });
  });

  describe('every other problem is redirected to the client with error, description, state and iss', () => {
    it.each([
      ['no response_type', { response_type: undefined }, 'invalid_request'],
      ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
      ['response_type=code id_token', { response_type: 'code id_token' }, 'unsupported_response_type'],
      ['response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request'],
      ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
      ['no code_challenge_method (plain by default)', { code_challenge_method: undefined }, 'invalid_request'],
      ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['a malformed code_challenge', { code_challenge: 'short' }, 'invalid_request'],
      ['no scope', { scope: undefined }, 'invalid_scope'],
      ['a scope the client may not have', { scope: 'openid admin' }, 'invalid_scope'],
      ['prompt=none combined', { prompt: 'none login' }, 'invalid_request'],
      ['an unknown prompt', { prompt: 'select_account' }, 'invalid_request'],
      ['a negative max_age', { max_age: '-1' }, 'invalid_request'],
      ['a non-numeric max_age', { max_age: 'soon' }, 'invalid_request'],
      ['a request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
      // A request_uri that /par did not issue is an HTML 400 instead (test/e2e/par.test.ts).
      ['an unregistered resource', { resource: 'https://api.evil.example' }, 'invalid_target'],
      ['an oversized nonce', { nonce: 'n'.repeat(600) }, 'invalid_request'],
    ])('%s', async (_label, extra, error) => {
      const params = valid(extra as Record<string, string | undefined>);
      const response = await get(params);
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('error_description')).toBeTruthy();
      expect(location.searchParams.get('state')).toBe(params.state);
      expect(location.searchParams.get('iss')).toBe(server.url);
      expect(location.searchParams.get('code')).toBeNull();
    });

    it('unauthorized_client for a client without the code grant', async () => {
      const response = await get(authorizeParams(noCodeClientId, REDIRECT, pkce));
      expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('unauthorized_client');
    });

    it('passes state through byte for byte, including characters that need encoding', async () => {
      const state = 'a b&c=d/é?<>"\'+%20';
      const response = await get(valid({ response_type: 'token', state }));
      expect(new URL(response.headers.get('location')!).searchParams.get('state')).toBe(state);
    });

    it('works without state', async () => {
      const response = await get(valid({ response_type: 'token', state: undefined }));
      const location = new URL(response.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('unsupported_response_type');
      expect(location.searchParams.has('state')).toBe(false);
    });
  });

  it('accepts POST /authorize like GET', async () => {
    const response = await fetch(`${server.url}/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(valid() as Record<string, string>).toString(),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/login\?request_id=[A-Za-z0-9_-]{32}$/);
  });

  it('a valid request without a session goes to the login page', async () => {
    const response = await get(valid());
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/login\?request_id=/);
  });
});
