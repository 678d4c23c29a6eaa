import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { launchChromium, openTab } from '../helpers/chromium.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { nextStep, totpCode } from './support.js';

const SHOTS = '/tmp/shots-mfa';

/** Every new page at desktop and mobile widths, light and dark, for a person to look at. */
async function screenshots(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  for (const [width, height] of [[1280, 800], [375, 720]] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width, height });
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: `${SHOTS}/${name}-${width}-${scheme}.png`, fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
}

async function startClientApp(): Promise<{ callback: string; stop(): Promise<void> }> {
  const server: Server = createServer((_request, response) => void response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Client</title><h1>Back at the client</h1>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { callback: `${origin}/callback`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('second factors in headless Chromium (no JavaScript on Latchkey’s pages)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let clientApp: Awaited<ReturnType<typeof startClientApp>>;
  let browser: Browser;
  let config: client.Configuration;
  const clock = new ManualClock();

  beforeAll(async () => {
    browser = await launchChromium();
    [server, clientApp] = await Promise.all([startTestServer({}, undefined, { clock }), startClientApp()]);
    const { clientId, secret } = await makeClient(server.database.db, { name: 'Notes', redirectUris: [clientApp.callback] });
    config = await client.discovery(new URL(server.url), clientId, secret!, client.ClientSecretBasic(secret!), { execute: [client.allowInsecureRequests] });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.stop(), clientApp?.stop()]);
  });

  async function authorizationRequest(extra: Record<string, string> = {}) {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: clientApp.callback,
      scope: 'openid profile',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...extra,
    });
    return { codeVerifier, state, nonce, url: url.toString() };
  }

  async function fillLogin(page: Page, username: string, password: string) {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  it('enrol on /account → sign out → sign in with password and otp → the ID token says amr pwd otp mfa, acr loa:2', async () => {
    const user = await makeUser(server.database.db, { username: 'alice' });
    const tab = await openTab(browser, { javaScriptEnabled: false });
    const { page } = tab;

    await page.goto(`${server.url}/account`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect(page.locator('p.sub strong').textContent()).resolves.toBe('your account');
    await fillLogin(page, 'alice', user.password);
    expect(new URL(page.url()).pathname).toBe('/account');
    await expect(page.locator('h1').textContent()).resolves.toBe('Your account');
    await screenshots(page, 'account-overview');

    await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
    expect(new URL(page.url()).pathname).toBe('/account/totp');
    await expect(page.locator('.qr svg').count()).resolves.toBe(1);
    await screenshots(page, 'totp-setup');
    const secret = (await page.locator('#totp-secret').textContent())!.replaceAll(' ', '');
    await page.getByLabel('Code from the app').fill('000000' === totpCode(secret, clock.now()) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expect(page.locator('p.error').textContent()).resolves.toContain('did not match');
    await screenshots(page, 'totp-setup-error');
    await page.getByLabel('Code from the app').fill(totpCode(secret, clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expect(page.locator('#recovery-codes li').count()).resolves.toBe(10);
    await screenshots(page, 'recovery-codes');
    await page.getByRole('link', { name: 'Done' }).click();
    await expect(page.locator('p.notice').textContent()).resolves.toContain('authenticator app is now on');
    await screenshots(page, 'account-overview-totp-on');

    await page.getByRole('link', { name: 'Remove the authenticator app' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe('Remove authenticator app?');
    await screenshots(page, 'totp-remove-confirm');

    // Sign out, then sign in to the application: password, then the code.
    await page.goto(`${server.url}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    const request = await authorizationRequest();
    await page.goto(request.url);
    await fillLogin(page, 'alice', user.password);
    expect(new URL(page.url()).pathname).toBe('/login/second-factor');
    await expect(page.locator('input[name=otp]').getAttribute('autocomplete')).resolves.toBe('one-time-code');
    await screenshots(page, 'second-factor');
    await page.getByLabel('Code from your authenticator app').fill('12');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.locator('p.error').textContent()).resolves.toContain('That code did not work.');
    await screenshots(page, 'second-factor-error');
    nextStep(clock);
    await page.getByLabel('Code from your authenticator app').fill(totpCode(secret, clock.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => url.toString().startsWith(clientApp.callback));

    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(user.id);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe('urn:latchkey:loa:2');
    expect(tab.blocked).toEqual([]);
    await tab.context.close();
  });

  it('acr_values=urn:latchkey:loa:2 for a user without a factor: the enrol page, /account setup, then back to the application at level 2', async () => {
    const user = await makeUser(server.database.db, { username: 'bob' });
    const tab = await openTab(browser, { javaScriptEnabled: false });
    const { page } = tab;
    const request = await authorizationRequest({ acr_values: 'urn:latchkey:loa:2' });
    await page.goto(request.url);
    await fillLogin(page, 'bob', user.password);
    expect(new URL(page.url()).pathname).toBe('/login/enrol');
    await screenshots(page, 'enrol');
    await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.locator('#totp-secret').textContent())!.replaceAll(' ', '');
    nextStep(clock);
    await page.getByLabel('Code from the app').fill(totpCode(secret, clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('link', { name: 'Continue signing in' }).click();
    await page.waitForURL((url) => url.toString().startsWith(clientApp.callback));
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true });
    expect(tokens.claims()!.acr).toBe('urn:latchkey:loa:2');
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    await tab.context.close();
  });
});
