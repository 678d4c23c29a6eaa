import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { authorizeParams, authorizeUrl, basicAuth, logIn, pkcePair, postForm } from '../helpers/flow.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { assertionFields, clientKey, signAssertion, type ClientKey } from '../helpers/client-keys.js';
import { codeFlowWithRefreshAndUserinfo, discover, push } from '../helpers/oauth4webapi-flow.js';

/*
 * RFC 9126 pushed authorization requests: POST /par with client authentication, then /authorize
 * with only client_id and request_uri. Single use, 60 s, bound to the client that pushed it.
 */

const REDIRECT = 'https://app.example.com/cb';
const PASSWORD = 'correct horse battery staple';
type Registered = { clientId: string; secret?: string };

describe('pushed authorization requests (RFC 9126)', () => {
  const clock = new ManualClock();
  let server: TestServer;
  let confidential: Registered;
  let other: Registered;
  let spa: Registered;
  let mustPush: Registered;
  let serviceOnly: Registered;
  let keyed: Registered;
  let key: ClientKey;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0', RATE_LIMIT_AUTHORIZE: '0' }, undefined, { clock });
    const db = server.database.db;
    await makeUser(db, { username: 'pusher', password: PASSWORD });
    confidential = await makeClient(db, { redirectUris: [REDIRECT] });
    other = await makeClient(db, { redirectUris: [REDIRECT] });
    spa = await makeClient(db, { type: 'public', redirectUris: [REDIRECT] });
    mustPush = await makeClient(db, { redirectUris: [REDIRECT], requirePushedAuthorizationRequests: true });
    serviceOnly = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['orders:read'], redirectUris: [REDIRECT] });
    key = await clientKey('ES256');
    keyed = await makeClient(db, { redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
  });
  afterAll(async () => server?.stop());

  const pushForm = (fields: Record<string, string | undefined>, headers: Record<string, string> = {}) =>
    postForm(`${server.url}/par`, Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined)), headers);
  const pushAs = (client: Registered, fields: Record<string, string | undefined>) => pushForm(fields, { authorization: basicAuth(client.clientId, client.secret!) });
  const requestUriOf = async (response: Response) => {
    expect(response.status).toBe(201);
    return ((await response.json()) as { request_uri: string }).request_uri;
  };
  const openAuthorize = (params: Record<string, string | undefined>) => new BrowserAgent(server.url).navigate(authorizeUrl(server.url, params));
  async function expectUnusableRequestUri(params: Record<string, string | undefined>) {
    const { response, leftTo } = await openAuthorize(params);
    expect(leftTo).toBeUndefined();
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    // The person reads that the sign-in expired (never which case it was); the log has invalid_request_uri under the reference.
    const body = await response.text();
    expect(body).toContain('Sign-in expired');
    expect(body).toContain(`<code>${response.headers.get('x-request-id')}</code>`);
    expect(body).not.toContain('request_uri');
  }

  it('runs the code flow, a refresh and userinfo with a pushed request (oauth4webapi, client_secret_basic)', async () => {
    const { tokens, refreshed, userinfo } = await codeFlowWithRefreshAndUserinfo(server.url, { client_id: confidential.clientId }, oauth.ClientSecretBasic(confidential.secret!), {
      redirectUri: REDIRECT,
      username: 'pusher',
      password: PASSWORD,
      par: true,
    });
    expect(tokens.access_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(userinfo.preferred_username).toBe('pusher');
  });

  it('accepts pushes from a public client (none) and a private_key_jwt client (oauth4webapi)', async () => {
    const viaSpa = await codeFlowWithRefreshAndUserinfo(server.url, { client_id: spa.clientId, token_endpoint_auth_method: 'none' }, oauth.None(), { redirectUri: REDIRECT, username: 'pusher', password: PASSWORD, par: true });
    expect(viaSpa.userinfo.preferred_username).toBe('pusher');
    const viaKey = await codeFlowWithRefreshAndUserinfo(server.url, { client_id: keyed.clientId }, oauth.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }), { redirectUri: REDIRECT, username: 'pusher', password: PASSWORD, par: true });
    expect(viaKey.userinfo.preferred_username).toBe('pusher');
  });

  it('answers 201 with no-store, and lists the endpoint in discovery', async () => {
    const response = await pushAs(confidential, authorizeParams(confidential.clientId, REDIRECT, pkcePair()));
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const as = await discover(server.url);
    expect(as.pushed_authorization_request_endpoint).toBe(`${server.url}/par`);
    expect(as.require_pushed_authorization_requests).toBe(false);
  });

  it('uses only the pushed parameters: the query’s redirect_uri, scope and state are ignored', async () => {
    const pushed = authorizeParams(confidential.clientId, REDIRECT, pkcePair(), { scope: 'openid' });
    const requestUri = await requestUriOf(await pushAs(confidential, pushed));
    const result = await logIn(
      new BrowserAgent(server.url),
      authorizeUrl(server.url, { client_id: confidential.clientId, request_uri: requestUri, redirect_uri: 'https://evil.example/cb', scope: 'openid offline_access profile', state: 'forged', response_type: 'token' }),
      'pusher',
      PASSWORD,
    );
    const callback = new URL(result.leftTo!);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe(pushed.state);
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('is single use: the second /authorize with the same request_uri gets an HTML 400, never a redirect', async () => {
    const requestUri = await requestUriOf(await pushAs(confidential, authorizeParams(confidential.clientId, REDIRECT, pkcePair())));
    const first = await openAuthorize({ client_id: confidential.clientId, request_uri: requestUri });
    expect(first.response.status).toBe(200); // the login page
    await expectUnusableRequestUri({ client_id: confidential.clientId, request_uri: requestUri });
  });

  it('expires after 60 seconds (manual clock)', async () => {
    const requestUri = await requestUriOf(await pushAs(confidential, authorizeParams(confidential.clientId, REDIRECT, pkcePair())));
    clock.advance(61_000);
    await expectUnusableRequestUri({ client_id: confidential.clientId, request_uri: requestUri });
  });

  it('is bound to the client that pushed it: another client cannot use it, and that attempt does not spend it', async () => {
    const requestUri = await requestUriOf(await pushAs(confidential, authorizeParams(confidential.clientId, REDIRECT, pkcePair())));
    await expectUnusableRequestUri({ client_id: other.clientId, request_uri: requestUri });
    await expectUnusableRequestUri({ request_uri: requestUri });
    const owner = await openAuthorize({ client_id: confidential.clientId, request_uri: requestUri });
    expect(owner.response.status).toBe(200);
  });

  it.each([
    ['an unknown request_uri', 'urn:ietf:params:oauth:request_uri:' + 'A'.repeat(43)],
    ['a request_uri of another shape', 'https://evil.example/request.jwt'],
  ])('refuses %s with an HTML 400', async (_label, requestUri) => {
    await expectUnusableRequestUri({ client_id: confidential.clientId, request_uri: requestUri });
  });

  it.each([
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['PKCE plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['a scope the client may not ask for', { scope: 'openid admin' }, 'invalid_scope'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['no response_type', { response_type: undefined }, 'invalid_request'],
    ['a request_uri inside the push', { request_uri: 'urn:ietf:params:oauth:request_uri:' + 'A'.repeat(43) }, 'invalid_request'],
    ['a request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    ['a client_id naming another client', { client_id: 'someone-else' }, 'invalid_client'],
  ])('refuses a push with %s at push time (JSON 400/401), storing nothing', async (_label, change, error) => {
    const before = await server.database.db.selectFrom('pushed_authorization_requests').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const response = await pushAs(confidential, { ...authorizeParams(confidential.clientId, REDIRECT, pkcePair()), ...change });
    expect(response.status).toBe(error === 'invalid_client' ? 401 : 400);
    expect(((await response.json()) as { error: string }).error).toBe(error);
    const after = await server.database.db.selectFrom('pushed_authorization_requests').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('refuses an unauthenticated or wrongly authenticated push with 401 invalid_client', async () => {
    const params = authorizeParams(confidential.clientId, REDIRECT, pkcePair());
    for (const response of [await pushForm(params), await pushForm(params, { authorization: basicAuth(confidential.clientId, 'lk_cs_wrong') })]) {
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
    }
  });

  it('refuses a push from a client without the code grant with unauthorized_client', async () => {
    const response = await pushAs(serviceOnly, { ...authorizeParams(serviceOnly.clientId, REDIRECT, pkcePair()), scope: 'orders:read' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('unauthorized_client');
  });

  it('refuses a private_key_jwt push whose assertion is replayed, and accepts one with aud = the /par URL', async () => {
    const params = authorizeParams(keyed.clientId, REDIRECT, pkcePair());
    const assertion = await signAssertion(key, keyed.clientId, `${server.url}/par`, { now: Math.floor(clock.now() / 1000) });
    expect((await pushForm({ ...params, ...assertionFields(keyed.clientId, assertion) })).status).toBe(201);
    const replay = await pushForm({ ...params, ...assertionFields(keyed.clientId, assertion) });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('a --require-par client: /authorize without a push is redirected back with invalid_request; with one it signs in', async () => {
    const { leftTo } = await openAuthorize(authorizeParams(mustPush.clientId, REDIRECT, pkcePair(), { state: 'st-must' }));
    const refused = new URL(leftTo!);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('state')).toBe('st-must');
    expect(refused.searchParams.get('code')).toBeNull();
    const { userinfo } = await codeFlowWithRefreshAndUserinfo(server.url, { client_id: mustPush.clientId }, oauth.ClientSecretBasic(mustPush.secret!), { redirectUri: REDIRECT, username: 'pusher', password: PASSWORD, par: true });
    expect(userinfo.preferred_username).toBe('pusher');
  });

  it('the same request_uri used twice at once: exactly one /authorize gets the login page', async () => {
    const requestUri = await requestUriOf(await pushAs(confidential, authorizeParams(confidential.clientId, REDIRECT, pkcePair())));
    const results = await Promise.all([1, 2, 3].map(() => openAuthorize({ client_id: confidential.clientId, request_uri: requestUri })));
    expect(results.map((r) => r.response.status).sort()).toEqual([200, 400, 400]);
  });
});

describe('REQUIRE_PAR=true', () => {
  let server: TestServer;
  let client: Registered;

  beforeAll(async () => {
    server = await startTestServer({ REQUIRE_PAR: 'true', RATE_LIMIT_TOKEN: '3', RATE_LIMIT_LOGIN: '0' });
    client = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
  });
  afterAll(async () => server?.stop());

  it('says so in discovery and refuses every unpushed /authorize with a redirected invalid_request', async () => {
    const as = await discover(server.url);
    expect(as.require_pushed_authorization_requests).toBe(true);
    const { leftTo } = await new BrowserAgent(server.url).navigate(authorizeUrl(server.url, authorizeParams(client.clientId, REDIRECT, pkcePair())));
    expect(new URL(leftTo!).searchParams.get('error')).toBe('invalid_request');
  });

  it('lets a pushed request through', async () => {
    const as = await discover(server.url);
    const requestUri = await push(as, { client_id: client.clientId }, oauth.ClientSecretBasic(client.secret!), authorizeParams(client.clientId, REDIRECT, pkcePair()));
    expect((await new BrowserAgent(server.url).navigate(authorizeUrl(server.url, { client_id: client.clientId, request_uri: requestUri }))).response.status).toBe(200);
  });

  it('rate-limits /par per IP like /token (RATE_LIMIT_TOKEN), with 429', async () => {
    const as = await discover(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await oauth.pushedAuthorizationRequest(as, { client_id: client.clientId }, oauth.ClientSecretBasic(client.secret!), new URLSearchParams(authorizeParams(client.clientId, REDIRECT, pkcePair())), {
        [oauth.allowInsecureRequests]: true,
      });
      statuses.push(response.status);
    }
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(2); // one of the 3 went to the push above
    expect(statuses).toContain(429);
  });

});
