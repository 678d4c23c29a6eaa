import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { freePort } from '../helpers/ports.js';
import { launchChromium, openTab, type BrowserTab } from '../helpers/chromium.js';

/**
 * Passkeys in real headless Chromium with a CDP virtual authenticator (internal transport,
 * resident keys, user verification): register from /account/passkeys, sign out, sign in
 * passwordless with the login page's button, check the ID token, remove the passkey.
 * The issuer is http://localhost:PORT: WebAuthn refuses an IP address as RP ID.
 */
const SHOTS = '/tmp/shots-passkeys';

async function startClientApp(): Promise<{ callback: string; origin: string; stop(): Promise<void> }> {
  const server: Server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Client app</title><h1>Back at the client</h1>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { origin, callback: `${origin}/callback`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function addVirtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

describe('passkeys in headless Chromium', { timeout: 90_000 }, () => {
  let server: TestServer;
  let app: Awaited<ReturnType<typeof startClientApp>>;
  let browser: Browser;
  let oidc: client.Configuration;
  let user: Awaited<ReturnType<typeof makeUser>>;
  let issuer: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const port = String(await freePort());
    issuer = `http://localhost:${port}`;
    browser = await launchChromium();
    [server, app] = await Promise.all([startTestServer({ PORT: port, ISSUER: issuer }), startClientApp()]);
    user = await makeUser(server.database.db, { username: 'alice', name: 'Alice Liddell' });
    const { clientId, secret } = await makeClient(server.database.db, { name: 'Notes', redirectUris: [app.callback] });
    oidc = await client.discovery(new URL(issuer), clientId, secret!, client.ClientSecretBasic(secret!), { execute: [client.allowInsecureRequests] });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.stop(), app?.stop()]);
  });

  async function authorizationRequest() {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(oidc, {
      redirect_uri: app.callback,
      scope: 'openid profile',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { codeVerifier, state, nonce, url: url.toString() };
  }

  async function landedAtCallback({ page, consoleErrors }: BrowserTab): Promise<URL> {
    await page.waitForURL((url) => url.origin === app.origin && url.pathname === '/callback').catch((error: Error) => {
      throw new Error(`never reached the callback; stuck at ${page.url()}; console errors: ${JSON.stringify(consoleErrors)}`, { cause: error });
    });
    return new URL(page.url());
  }

  async function idTokenClaims(request: Awaited<ReturnType<typeof authorizationRequest>>, callback: URL) {
    const tokens = await client.authorizationCodeGrant(oidc, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true });
    const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: issuer, audience: oidc.clientMetadata().client_id });
    return payload;
  }

  async function signInWithPassword(tab: BrowserTab, as: { username: string; password: string } = user) {
    const request = await authorizationRequest();
    await tab.page.goto(request.url);
    await tab.page.getByLabel('Username').fill(as.username);
    await tab.page.getByLabel('Password').fill(as.password);
    await tab.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    return { request, callback: await landedAtCallback(tab) };
  }

  async function storedPasskeys() {
    return server.database.db.selectFrom('passkeys').selectAll().where('user_id', '=', user.id).execute();
  }

  it('register from /account/passkeys, sign out, sign in with the passkey alone, remove it', async () => {
    const tab = await openTab(browser);
    const { page } = tab;
    const { cdp, authenticatorId } = await addVirtualAuthenticator(page);

    await signInWithPassword(tab);
    await page.goto(`${issuer}/account/passkeys`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Passkeys');
    await page.getByLabel('Name of the new passkey').fill('Virtual key');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL((url) => url.search === '?done=added');
    await expect(page.getByRole('status').textContent()).resolves.toContain('Passkey added');
    await expect(page.locator('.passkey-item strong').allTextContents()).resolves.toEqual(['Virtual key']);
    const [stored] = await storedPasskeys();
    expect(stored).toMatchObject({ name: 'Virtual key', backup_eligible: false, transports: ['internal'] });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    expect(Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url')).toBe(stored!.credential_id);

    // Sign out (the browser forgets its session). Conditional mediation: the login page asks
    // for a passkey through the username field's autofill as it loads; the virtual
    // authenticator answers it as a user picking the passkey there would.
    await tab.context.clearCookies();
    const viaAutofill = await authorizationRequest();
    const navigationsBefore = tab.navigations.length;
    await page.goto(viaAutofill.url);
    const autofillClaims = await idTokenClaims(viaAutofill, await landedAtCallback(tab));
    expect(autofillClaims.sub).toBe(user.id);
    // A user-verified passkey on its own: two factors (RFC 8176), level 2.
    expect(autofillClaims.amr).toEqual(['hwk', 'mfa']);
    expect(autofillClaims.acr).toBe('urn:latchkey:loa:2');
    // No form was posted: the page's script did the ceremony and went on to the loop.
    expect(tab.navigations.slice(navigationsBefore).filter((n) => n.startsWith('POST'))).toEqual([]);

    // Sign out again, on a browser without conditional mediation: the button signs in.
    await tab.context.clearCookies();
    await tab.context.addInitScript('PublicKeyCredential.isConditionalMediationAvailable = async () => false;');
    const viaButton = await authorizationRequest();
    await page.goto(viaButton.url);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const claims = await idTokenClaims(viaButton, await landedAtCallback(tab));
    expect(claims.sub).toBe(user.id);
    expect(claims.amr).toEqual(['hwk', 'mfa']);
    expect(claims.acr).toBe('urn:latchkey:loa:2');
    const [used] = await storedPasskeys();
    expect(used!.last_used_at).not.toBeNull();

    // Sign out again: the password now leads to the second-factor page, where the passkey completes it.
    await tab.context.clearCookies();
    const twoSteps = await authorizationRequest();
    await page.goto(twoSteps.url);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/login/second-factor');
    await page.screenshot({ path: `${SHOTS}/second-factor-1280-light.png`, fullPage: true });
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    const twoStepClaims = await idTokenClaims(twoSteps, await landedAtCallback(tab));
    expect(twoStepClaims.amr).toEqual(['pwd', 'hwk', 'mfa']);
    expect(twoStepClaims.acr).toBe('urn:latchkey:loa:2');

    // Fresh from that sign-in, the passkey can be removed.
    await page.goto(`${issuer}/account/passkeys`);
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL((url) => url.search === '?done=removed');
    await expect(page.getByText('No passkeys yet.').count()).resolves.toBe(1);
    expect(await storedPasskeys()).toEqual([]);
    expect(tab.consoleErrors).toEqual([]);
    expect(tab.blocked).toEqual([]);
    await tab.context.close();
  });

  it('renders the passkey parts of the login page and /account/passkeys for screenshots (1280×800, 375×720, light and dark)', async () => {
    const tab = await openTab(browser);
    await addVirtualAuthenticator(tab.page);
    // No autofill here: it would sign in by itself once a passkey exists.
    await tab.context.addInitScript('PublicKeyCredential.isConditionalMediationAvailable = async () => false;');
    await signInWithPassword(tab, await makeUser(server.database.db, { username: 'bob' }));
    await tab.page.goto(`${issuer}/account/passkeys`);
    await tab.page.getByLabel('Name of the new passkey').fill('A work laptop with a rather long passkey name that wraps');
    await tab.page.getByRole('button', { name: 'Add a passkey' }).click();
    await tab.page.waitForURL((url) => url.search === '?done=added');
    const cookies = await tab.context.cookies();
    const loginUrl = (await authorizationRequest()).url;
    for (const [width, height] of [[1280, 800], [375, 720]] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ viewport: { width, height }, colorScheme });
        await context.addCookies(cookies);
        const page = await context.newPage();
        await page.goto(`${issuer}/account/passkeys?done=added`);
        await page.locator('form[data-passkey="register"]:not([hidden])').waitFor();
        await page.screenshot({ path: `${SHOTS}/account-passkeys-${width}-${colorScheme}.png`, fullPage: true });
        await context.clearCookies();
        await page.goto(loginUrl);
        await page.locator('form[data-passkey="sign-in"]:not([hidden])').waitFor();
        await page.screenshot({ path: `${SHOTS}/login-${width}-${colorScheme}.png`, fullPage: true });
        await context.close();
      }
    }
    expect(tab.consoleErrors).toEqual([]);
    await tab.context.close();
  });
});
