import { mkdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { decodeJwt } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { launchChromium, openTab, type BrowserTab } from '../helpers/chromium.js';
import { postForm } from '../helpers/flow.js';
import { sha256Hex } from '../../src/opaque-token.js';

/*
 * The person's side of RFC 8628 in headless Chromium, with JavaScript off and on: the /device
 * page, the code typed loosely ("bcdf ghjk"), the sign-in, the approval page that repeats the code
 * and names the client, and the result page. The device's side is a plain /token poll.
 */

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SHOTS = '/tmp/device-shots';

interface Started {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  interval: number;
  expires_in: number;
}

describe('the device pages in headless Chromium', { timeout: 90_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let tv: { clientId: string };
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startTestServer({ RATE_LIMIT_DEVICE: '0', RATE_LIMIT_LOGIN: '0' });
    user = await makeUser(server.database.db, { username: 'viewer', email: 'viewer@example.com' });
    tv = await makeClient(server.database.db, { name: 'Living-room TV', type: 'public', grantTypes: [DEVICE_GRANT, 'refresh_token'] });
    await mkdir(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function startDevice(scope = 'openid profile offline_access'): Promise<Started> {
    const response = await postForm(`${server.url}/device_authorization`, { client_id: tv.clientId, scope });
    expect(response.status).toBe(200);
    return (await response.json()) as Started;
  }

  async function poll(deviceCode: string) {
    const response = await postForm(`${server.url}/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: tv.clientId });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  /** "BCDF-GHJK" as a person might type it: lower case, a space instead of the dash. */
  const loosely = (userCode: string) => userCode.toLowerCase().replace('-', ' ');

  async function signIn(page: Page) {
    await page.getByLabel('Username').fill('viewer');
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function shot(page: Page, name: string) {
    const path = `${SHOTS}/${name}.png`;
    await page.screenshot({ path, fullPage: true });
    expect((await readFile(path)).subarray(1, 4).toString()).toBe('PNG');
  }

  /** Enters the code on /device, signs in, and stops on the approval page. */
  async function reachApproval(tab: BrowserTab, started: Started, shotPrefix?: string) {
    const { page } = tab;
    await page.goto(`${server.url}/device`);
    expect(new URL(page.url()).pathname).toBe('/device');
    await expect(page.locator('h1').textContent()).resolves.toBe('Connect a device');
    await expect(page.locator('#user_code').inputValue()).resolves.toBe('');
    if (shotPrefix) await shot(page, `${shotPrefix}-1-entry`);
    await page.locator('#user_code').fill(loosely(started.user_code));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await signIn(page);
    await page.waitForURL((url) => url.pathname === '/device/approve');
    await expect(page.locator('.user-code').textContent()).resolves.toBe(started.user_code);
    await expect(page.locator('h1').textContent()).resolves.toContain('Living-room TV');
    await expect(page.locator('ul.scopes li code').allTextContents()).resolves.toEqual(['openid', 'profile', 'offline_access']);
    if (shotPrefix) await shot(page, `${shotPrefix}-2-approval`);
  }

  for (const javaScriptEnabled of [false, true]) {
    describe(`JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, () => {
      it('Allow: the code typed in lower case with a space, sign-in, approval page with the code and client, "Device connected", and the poll gets tokens', async () => {
        const started = await startDevice();
        expect((await poll(started.device_code)).body.error).toBe('authorization_pending');
        const tab = await openTab(browser, { javaScriptEnabled });
        await reachApproval(tab, started);
        await tab.page.getByRole('button', { name: 'Allow' }).click();
        await expect(tab.page.locator('h1').textContent()).resolves.toBe('Device connected');
        expect(tab.navigations).toEqual([
          `GET ${server.url}/device`,
          `POST ${server.url}/device`,
          `GET ${server.url}/authorize/resume`,
          `GET ${server.url}/login`,
          `POST ${server.url}/login`,
          `GET ${server.url}/authorize/resume`,
          `GET ${server.url}/device/approve`,
          `POST ${server.url}/device/approve`,
        ]);

        const { status, body } = await poll(started.device_code);
        expect(status, JSON.stringify(body)).toBe(200);
        expect(decodeJwt(body.access_token!)).toMatchObject({ sub: user.id, client_id: tv.clientId });
        expect(decodeJwt(body.id_token!)).toMatchObject({ sub: user.id, aud: tv.clientId });
        expect(body.refresh_token).toMatch(/^lk_rt_/);
        expect(tab.consoleErrors).toEqual([]);
        expect(tab.blocked).toEqual([]);
        await tab.context.close();
      });

      it('Deny: "Request denied", and the poll gets access_denied', async () => {
        const started = await startDevice();
        const tab = await openTab(browser, { javaScriptEnabled });
        await reachApproval(tab, started);
        await tab.page.getByRole('button', { name: 'Deny' }).click();
        await expect(tab.page.locator('h1').textContent()).resolves.toBe('Request denied');
        const { status, body } = await poll(started.device_code);
        expect(status).toBe(400);
        expect(body.error).toBe('access_denied');
        expect(tab.consoleErrors).toEqual([]);
        expect(tab.blocked).toEqual([]);
        await tab.context.close();
      });

      it('verification_uri_complete pre-fills the code and waits for the person (no auto-submit), even when signed in', async () => {
        const first = await startDevice();
        const tab = await openTab(browser, { javaScriptEnabled });
        await reachApproval(tab, first);
        await tab.page.getByRole('button', { name: 'Allow' }).click();
        await expect(tab.page.locator('h1').textContent()).resolves.toBe('Device connected');

        // Now with a session: the link still only shows the form, prefilled.
        const second = await startDevice();
        tab.navigations.length = 0;
        await tab.page.goto(second.verification_uri_complete);
        await expect(tab.page.locator('h1').textContent()).resolves.toBe('Connect a device');
        await expect(tab.page.locator('#user_code').inputValue()).resolves.toBe(second.user_code);
        expect(tab.navigations).toEqual([`GET ${server.url}/device`]);
        expect((await poll(second.device_code)).body.error).toBe('authorization_pending');

        // Continue: signed in already, so straight to the approval page.
        await tab.page.getByRole('button', { name: 'Continue' }).click();
        await tab.page.waitForURL((url) => url.pathname === '/device/approve');
        await expect(tab.page.locator('.user-code').textContent()).resolves.toBe(second.user_code);
        // Still undecided (polled twice within the interval, so slow_down is as good as pending here).
        expect(['authorization_pending', 'slow_down']).toContain((await poll(second.device_code)).body.error);
        const row = await server.database.db.selectFrom('device_authorizations').select('status').where('device_code_hash', '=', sha256Hex(second.device_code)).executeTakeFirstOrThrow();
        expect(row.status).toBe('pending');
        expect(tab.consoleErrors).toEqual([]);
        await tab.context.close();
      });

      it('a malformed code shows the format hint; an unknown one the generic sentence; both keep the form', async () => {
        const tab = await openTab(browser, { javaScriptEnabled });
        const { page } = tab;
        await page.goto(`${server.url}/device`);
        // "bcdf gh" would be stopped by the field's pattern in the browser; submit one that passes it but is no code (vowels).
        await page.locator('#user_code').fill('aeio uaei');
        await page.getByRole('button', { name: 'Continue' }).click();
        await expect(page.getByRole('alert').textContent()).resolves.toContain('letters your device shows');
        await expect(page.locator('#user_code').getAttribute('aria-invalid')).resolves.toBe('true');
        await page.locator('#user_code').fill('bcdf bcdf');
        await page.getByRole('button', { name: 'Continue' }).click();
        await expect(page.getByRole('alert').textContent()).resolves.toContain('That code is not valid, or it has expired or already been used.');
        expect(new URL(page.url()).pathname).toBe('/device');
        expect(tab.consoleErrors.filter((message) => !/status of 400/.test(message))).toEqual([]);
        await tab.context.close();
      });
    });
  }

  it(`screenshots of the entry, approval and result pages, desktop and mobile, light and dark, into ${SHOTS}`, async () => {
    const sizes = { desktop: { width: 1280, height: 800 }, mobile: { width: 375, height: 720 } };
    for (const [size, viewport] of Object.entries(sizes)) {
      for (const colorScheme of ['light', 'dark'] as const) {
        for (const decision of ['Allow', 'Deny'] as const) {
          const started = await startDevice();
          const tab = await openTab(browser);
          await tab.page.setViewportSize(viewport);
          await tab.page.emulateMedia({ colorScheme });
          const prefix = `${size}-${colorScheme}`;
          await reachApproval(tab, started, decision === 'Allow' ? prefix : undefined);
          await tab.page.getByRole('button', { name: decision }).click();
          await expect(tab.page.locator('h1').textContent()).resolves.toBe(decision === 'Allow' ? 'Device connected' : 'Request denied');
          await shot(tab.page, `${prefix}-3-${decision === 'Allow' ? 'connected' : 'denied'}`);
          expect(tab.consoleErrors).toEqual([]);
          await tab.context.close();
        }
      }
    }
  });
});
