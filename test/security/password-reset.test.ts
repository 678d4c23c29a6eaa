import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, obtainCode, pkcePair, postForm } from '../helpers/flow.js';
import { introspect, refresh, type ClientCredentials, type TokenSet } from '../helpers/tokens.js';

const REDIRECT = 'https://app.example.com/cb';
const NEW_PASSWORD = 'a completely new passphrase';

/** Issue 10 item 8: an admin password reset ends every session and refresh family of the user. */
describe('admin password reset', () => {
  let server: TestServer;
  let admin: ReturnType<typeof adminFetch>;
  let app: ClientCredentials;
  let resourceServer: ClientCredentials;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_ADMIN: '0', RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0' });
    admin = adminFetch(server, (await adminToken(server)).token);
    app = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
    resourceServer = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['introspect'] });
  });
  afterAll(async () => server?.stop());

  /** Signs in through the real pages with a browser of its own; returns the browser and the tokens. */
  async function signIn(username: string, password: string): Promise<{ browser: BrowserAgent; tokens: TokenSet }> {
    const browser = new BrowserAgent(server.url);
    const pkce = pkcePair();
    const { code } = await obtainCode(browser, server.url, authorizeParams(app.clientId, REDIRECT, pkce, { scope: 'openid profile offline_access' }), username, password);
    const response = await postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT }, { authorization: basicAuth(app.clientId, app.secret!) });
    expect(response.status).toBe(200);
    return { browser, tokens: (await response.json()) as TokenSet };
  }

  /** Whether the browser's session cookie still signs it in: /authorize goes straight back to the app. */
  async function browserStillSignedIn(browser: BrowserAgent): Promise<boolean> {
    const result = await browser.navigate(authorizeUrl(server.url, authorizeParams(app.clientId, REDIRECT, pkcePair())));
    if (result.leftTo) return new URL(result.leftTo).searchParams.has('code');
    expect(result.response.status).toBe(200);
    expect(await result.response.text()).toContain('action="/login"');
    return false;
  }

  const userinfoStatus = async (accessToken: string) => (await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

  it('ends every browser session and refresh family, and denies outstanding access tokens; the new password works', async () => {
    const user = await makeUser(server.database.db);
    const laptop = await signIn(user.username, user.password);
    const phone = await signIn(user.username, user.password);
    const other = await makeUser(server.database.db);
    const bystander = await signIn(other.username, other.password);
    expect(await browserStillSignedIn(laptop.browser)).toBe(true);

    const reset = await admin('PATCH', `/admin/users/${user.id}`, { password: NEW_PASSWORD });
    expect(reset.status).toBe(200);

    for (const device of [laptop, phone]) {
      const refreshed = await refresh(server.url, app, device.tokens.refresh_token!);
      expect(refreshed.status).toBe(400);
      expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' });
      expect(await userinfoStatus(device.tokens.access_token)).toBe(401);
      expect(await introspect(server.url, resourceServer, device.tokens.access_token)).toEqual({ active: false });
      expect(await browserStillSignedIn(device.browser)).toBe(false);
    }

    // Another user's sessions are untouched.
    expect(await userinfoStatus(bystander.tokens.access_token)).toBe(200);
    expect(await browserStillSignedIn(bystander.browser)).toBe(true);

    // The old password no longer signs in; the new one does, and its tokens work.
    await expect(signIn(user.username, user.password)).rejects.toThrow(/sign-in did not return/);
    const fresh = await signIn(user.username, NEW_PASSWORD);
    expect(await userinfoStatus(fresh.tokens.access_token)).toBe(200);
    expect((await refresh(server.url, app, fresh.tokens.refresh_token!)).status).toBe(200);

    const sessions = await admin('GET', `/admin/users/${user.id}/sessions`);
    const families = sessions.body!.refresh_families as { revoked_at: string | null; revoked_reason: string | null }[];
    expect(families.filter((f) => f.revoked_at !== null).map((f) => f.revoked_reason)).toEqual(['password changed by an admin', 'password changed by an admin']);
  });

  it('a reset that fails (duplicate username in the same PATCH) changes nothing: sessions live, old password works', async () => {
    const user = await makeUser(server.database.db);
    const taken = await makeUser(server.database.db);
    const device = await signIn(user.username, user.password);

    const refused = await admin('PATCH', `/admin/users/${user.id}`, { username: taken.username, password: NEW_PASSWORD });
    expect(refused.status).toBe(409);

    expect(await userinfoStatus(device.tokens.access_token)).toBe(200);
    expect((await refresh(server.url, app, device.tokens.refresh_token!)).status).toBe(200);
    expect(await browserStillSignedIn(device.browser)).toBe(true);
    await expect(signIn(user.username, user.password)).resolves.toBeDefined();
  });

  it('a profile change without a password leaves sessions alone', async () => {
    const user = await makeUser(server.database.db);
    const device = await signIn(user.username, user.password);
    expect((await admin('PATCH', `/admin/users/${user.id}`, { name: 'Renamed' })).status).toBe(200);
    expect(await userinfoStatus(device.tokens.access_token)).toBe(200);
    expect(await browserStillSignedIn(device.browser)).toBe(true);
  });
});
