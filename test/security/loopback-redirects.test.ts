import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, obtainCode, pkcePair, postForm } from '../helpers/flow.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const V4 = 'http://127.0.0.1/callback';
const V6 = 'http://[::1]:8080/callback?app=1';
const NAMED = 'http://localhost:8080/callback';

describe('loopback redirect URIs (RFC 8252 7.3)', () => {
  let server: TestServer;
  let clientId: string;
  let user: Awaited<ReturnType<typeof makeUser>>;
  const get = (redirectUri: string) => fetch(authorizeUrl(server.url, authorizeParams(clientId, redirectUri, pkcePair())), { redirect: 'manual' });

  beforeAll(async () => {
    server = await startTestServer();
    user = await makeUser(server.database.db);
    clientId = (await makeClient(server.database.db, { type: 'public', redirectUris: [V4, V6, NAMED] })).clientId;
  });
  afterAll(async () => server?.stop());

  async function expectRefused(response: Response) {
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toMatch(/an address it has not registered/);
  }

  it.each([
    ['127.0.0.1 with an ephemeral port', 'http://127.0.0.1:53123/callback'],
    ['127.0.0.1 with the port as registered (none)', V4],
    ['[::1] with another port', 'http://[::1]:61000/callback?app=1'],
    ['[::1] without a port', 'http://[::1]/callback?app=1'],
  ])('accepts %s', async (_label, redirectUri) => {
    const response = await get(redirectUri);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/login\?request_id=/);
  });

  it.each([
    ['localhost with another port (matched exactly)', 'http://localhost:9090/callback'],
    ['localhost without its port', 'http://localhost/callback'],
    ['127.0.0.1 with another path', 'http://127.0.0.1:53123/callback/evil'],
    ['127.0.0.1 with a trailing slash', 'http://127.0.0.1:53123/callback/'],
    ['127.0.0.1 with an added query', 'http://127.0.0.1:53123/callback?next=x'],
    ['127.0.0.1 over https', 'https://127.0.0.1:53123/callback'],
    ['another loopback address', 'http://127.0.0.2:53123/callback'],
    ['[::1] without its query', 'http://[::1]:61000/callback'],
    ['[::1] with another query', 'http://[::1]:61000/callback?app=2'],
    ['an out-of-range port', 'http://127.0.0.1:99999/callback'],
    ['userinfo before the loopback host', 'http://evil.example@127.0.0.1:5000/callback'],
  ])('refuses %s with an HTML page, never a redirect', async (_label, redirectUri) => {
    await expectRefused(await get(redirectUri));
  });

  it('delivers the code to the port-variant URI, and /token demands that exact URI', async () => {
    const pkce = pkcePair();
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const { code, callback } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(clientId, redirectUri, pkce), user.username, user.password);
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    const exchange = (uri: string) => postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, client_id: clientId, redirect_uri: uri });
    const otherPort = await exchange('http://127.0.0.1:49153/callback');
    expect(otherPort.status).toBe(400);
    expect(await otherPort.json()).toMatchObject({ error: 'invalid_grant' });
    const registered = await exchange(V4);
    expect(registered.status).toBe(400);
  });

  it('the exact URI redeems the code', async () => {
    const pkce = pkcePair();
    const redirectUri = 'http://[::1]:40000/callback?app=1';
    const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(clientId, redirectUri, pkce), user.username, user.password);
    const response = await postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, client_id: clientId, redirect_uri: redirectUri });
    expect(response.status).toBe(200);
  });

  it('refuses http://evil.localhost at registration through the admin API', async () => {
    const { token } = await adminToken(server);
    const admin = adminFetch(server, token);
    const response = await admin('POST', '/admin/clients', { name: 'evil', type: 'public', redirect_uris: ['http://evil.localhost/cb'] });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toMatch(/may use http only for localhost, 127.0.0.1 or \[::1\]/);
  });
});

describe('*.localhost is not loopback', () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
  });
  afterAll(async () => cli?.destroy());

  it.each(['http://evil.localhost/cb', 'http://app.localhost:8080/cb'])('the CLI refuses the redirect URI %s (exit 2)', async (uri) => {
    const result = await cli.run(['client', 'create', '--name', 'x', '--type', 'public', '--redirect-uri', uri]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/may use http only for localhost, 127.0.0.1 or \[::1\]/);
  });

  it('a production ISSUER of http://x.localhost is refused', () => {
    const env = { NODE_ENV: 'production', KEY_ENCRYPTION_KEY: 'k'.repeat(40), ISSUER: 'http://x.localhost' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/^ISSUER must be an https URL when NODE_ENV=production/);
  });
});
