import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { contrast, type Rgb } from '../../src/pages/contrast.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { postForm } from '../helpers/flow.js';
import { launchChromium, openTab, type BrowserTab } from '../helpers/chromium.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { nextStep, totpCode } from '../mfa/support.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Set to a directory to also save screenshots of every page (1280×800 and 375×720, light and dark). */
const SHOTS_DIR = process.env.LATCHKEY_SCREENSHOTS;
const LANGUAGES = { en: 'en-GB,en;q=0.9', de: 'de-DE,de;q=0.9,en;q=0.5' } as const;
type Lang = keyof typeof LANGUAGES;

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  help: string;
  nodes: { target: string[]; failureSummary: string }[];
}

interface Colours {
  card: string;
  inputBorders: string[];
  focusOutline: string | null;
}

function rgb(css: string): Rgb {
  const [r, g, b] = css.match(/[\d.]+/g)!.map(Number) as [number, number, number];
  return [r, g, b];
}

/** The callback the client is redirected to: a page of its own. */
async function startClientApp(): Promise<{ callback: string; stop(): Promise<void> }> {
  const server: Server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>back</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { callback: `http://127.0.0.1:${(server.address() as { port: number }).port}/callback`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Every page Latchkey shows, reached the way a person reaches it, in English and German, each
 * checked by axe-core (WCAG 2.2 A and AA) in light and dark, plus the non-text contrast axe does
 * not measure (WCAG 1.4.11: input borders and the focus ring at least 3:1 against the card).
 */
describe('pages are accessible (axe-core, WCAG 2.2 AA) in light and dark, English and German', { timeout: 240_000 }, () => {
  let server: TestServer;
  let app: Awaited<ReturnType<typeof startClientApp>>;
  let browser: Browser;
  let thirdParty: string;
  let tv: string;
  const checked: string[] = [];
  // Ticks with real time; the second-factor pages move it to the next 30 s step so that a fresh TOTP code is due.
  const clock = new ManualClock();

  beforeAll(async () => {
    browser = await launchChromium();
    // The login limit is low so that the 429 page is a few posts away (after the sign-ins of the other tests).
    [server, app] = await Promise.all([startTestServer({ RATE_LIMIT_LOGIN: '20', BRAND_SUPPORT_URL: 'https://support.example.com/help' }, undefined, { clock }), startClientApp()]);
    const db = server.database.db;
    // One person per language: a consent given in one run would skip the consent page in the other.
    await Promise.all(['alice', 'bruno', 'carla', 'dora', 'emil', 'frida'].map((username) => makeUser(db, { username })));
    thirdParty = (await makeClient(db, { name: 'Photo Printer', type: 'public', thirdParty: true, redirectUris: [app.callback], scopes: ['openid', 'profile', 'email', 'offline_access'] })).clientId;
    tv = (await makeClient(db, { name: 'Living-room TV', type: 'public', grantTypes: [DEVICE_GRANT] })).clientId;
    if (SHOTS_DIR) mkdirSync(SHOTS_DIR, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.stop(), app?.stop()]);
  });

  async function tabIn(lang: Lang): Promise<BrowserTab> {
    const tab = await openTab(browser);
    await tab.context.setExtraHTTPHeaders({ 'accept-language': LANGUAGES[lang] });
    return tab;
  }

  async function audit(page: Page, where: string): Promise<void> {
    if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate(await axeSource);
    const violations = await page.evaluate<AxeViolation[]>(
      `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))`,
    );
    expect(violations, `${where}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
    const colours = await page.evaluate<Colours>(`(() => {
      const card = getComputedStyle(document.querySelector('main')).backgroundColor;
      const inputs = [...document.querySelectorAll('input[type=text], input[type=password]')];
      const inputBorders = inputs.map((input) => getComputedStyle(input).borderTopColor);
      let focusOutline = null;
      const focusable = inputs[0] || document.querySelector('button, a');
      if (focusable) { focusable.focus({ focusVisible: true }); focusOutline = getComputedStyle(focusable).outlineColor; focusable.blur(); }
      return { card, inputBorders, focusOutline };
    })()`);
    for (const border of colours.inputBorders) expect(contrast(rgb(border), rgb(colours.card)), `${where}: input border ${border} on ${colours.card}`).toBeGreaterThanOrEqual(3);
    if (colours.focusOutline) expect(contrast(rgb(colours.focusOutline), rgb(colours.card)), `${where}: focus ring ${colours.focusOutline} on ${colours.card}`).toBeGreaterThanOrEqual(3);
  }

  /** axe in light and dark (and screenshots when asked); the page's language is the one asked for. */
  async function check(tab: BrowserTab, lang: Lang, name: string): Promise<void> {
    const { page } = tab;
    expect(await page.getAttribute('html', 'lang'), name).toBe(lang);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await audit(page, `${name} (${lang}, ${colorScheme})`);
      if (SHOTS_DIR) {
        for (const [width, height] of [[1280, 800], [375, 720]] as const) {
          await page.setViewportSize({ width, height });
          await page.screenshot({ path: `${SHOTS_DIR}/${name}-${lang}-${colorScheme}-${width}.png`, fullPage: true });
        }
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    checked.push(`${name}:${lang}`);
  }

  function authorizeUrl(extra: Record<string, string> = {}): string {
    const url = new URL('/authorize', server.url);
    url.search = new URLSearchParams({ ...extra, client_id: thirdParty, redirect_uri: app.callback, response_type: 'code', scope: 'openid profile email', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    return url.toString();
  }

  const person: Record<Lang, string> = { en: 'alice', de: 'bruno' };

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('form[action="/login"] button[type=submit]');
  }

  for (const lang of Object.keys(LANGUAGES) as Lang[]) {
    it(`every page in ${lang}`, async () => {
      const tab = await tabIn(lang);
      const { page } = tab;
      try {
        const unknown = await page.goto(`${server.url}/authorize?client_id=nobody&response_type=code`);
        expect(unknown?.status()).toBe(400);
        await check(tab, lang, 'error');

        await page.goto(authorizeUrl());
        expect(new URL(page.url()).pathname).toBe('/login');
        await check(tab, lang, 'login');
        await signIn(page, person[lang], 'wrong password');
        await page.waitForSelector('p.error');
        await check(tab, lang, 'login-error');
        await signIn(page, person[lang], 'correct horse battery staple');
        await page.waitForURL((url) => url.pathname === '/consent');
        expect(await page.textContent('main')).toContain('127.0.0.1'); // where the answer goes
        await check(tab, lang, 'consent');
        await page.click('button[value=allow]');
        await page.waitForURL((url) => url.href.startsWith(app.callback));

        await page.goto(`${server.url}/logout`);
        await check(tab, lang, 'logout-confirm');
        await page.click('button[value=cancel]');
        await page.waitForSelector('h1');
        await check(tab, lang, 'logout-cancelled');
        await page.goto(`${server.url}/logout`);
        await page.click('button[value=sign_out]');
        await page.waitForURL((url) => url.pathname === '/logout');
        await check(tab, lang, 'signed-out');

        const device = async () => (await (await postForm(`${server.url}/device_authorization`, { client_id: tv, scope: 'openid profile' })).json()) as { user_code: string };
        const first = await device();
        await page.goto(`${server.url}/device`);
        await check(tab, lang, 'device-entry');
        await page.fill('#user_code', 'BCDF-GHJ1');
        // The field's pattern stops the browser from sending it; a script-less old browser would.
        await Promise.all([page.waitForURL((url) => url.pathname === '/device'), page.evaluate("document.querySelector('form').submit()")]);
        await page.waitForSelector('#user_code_error');
        await check(tab, lang, 'device-entry-error');
        await page.fill('#user_code', first.user_code);
        await page.click('button[type=submit]');
        await page.waitForURL((url) => url.pathname === '/login');
        await signIn(page, person[lang], 'correct horse battery staple');
        await page.waitForSelector('.user-code');
        await check(tab, lang, 'device-approval');
        await page.click('button[value=allow]');
        await page.waitForSelector('h1');
        await check(tab, lang, 'device-connected');
        const second = await device();
        await page.goto(`${server.url}/device?user_code=${second.user_code}`);
        await page.click('button[type=submit]');
        await page.waitForSelector('.user-code');
        await page.click('button[value=deny]');
        await page.waitForSelector('h1');
        await check(tab, lang, 'device-denied');
        await page.goto(`${server.url}/device?user_code=${second.user_code}`);
        await page.click('button[type=submit]');
        await page.waitForSelector('#user_code_error');
        await check(tab, lang, 'device-code-used');
        // The error pages answer 400 on purpose; anything else (a CSP refusal, a missing asset) is a defect.
        expect(tab.consoleErrors.filter((line) => !/status of 400 \(Bad Request\)/.test(line))).toEqual([]);
        expect(tab.blocked).toEqual([]);
      } finally {
        await tab.context.close();
      }
    });
  }

  // Who turns TOTP on (and then signs in with it), and who is asked to set a second factor up.
  const totpPerson: Record<Lang, string> = { en: 'carla', de: 'dora' };
  const enrolPerson: Record<Lang, string> = { en: 'emil', de: 'frida' };

  for (const lang of Object.keys(LANGUAGES) as Lang[]) {
    it(`the account and second-factor pages in ${lang}`, async () => {
      const tab = await tabIn(lang);
      const { page } = tab;
      try {
        await page.goto(`${server.url}/account`);
        await signIn(page, totpPerson[lang], 'correct horse battery staple');
        await page.waitForURL((url) => url.pathname === '/account');
        expect(await page.textContent('h1')).toBe(lang === 'en' ? 'Your account' : 'Dein Konto');
        await check(tab, lang, 'account-totp-off');

        await page.click('a[href="/account/totp"]');
        await page.waitForSelector('.qr svg');
        await check(tab, lang, 'totp-setup');
        const secret = (await page.textContent('#totp-secret'))!.replaceAll(' ', '');
        await page.fill('#otp', totpCode(secret, clock.now()) === '000000' ? '111111' : '000000');
        await page.click('form[action="/account/totp"] button[type=submit]');
        await page.waitForSelector('p.error');
        await check(tab, lang, 'totp-setup-error');
        await page.fill('#otp', totpCode(secret, clock.now()));
        await page.click('form[action="/account/totp"] button[type=submit]');
        await page.waitForSelector('#recovery-codes');
        await check(tab, lang, 'recovery-codes');
        await page.click('a.button');
        await page.waitForSelector('p.notice');
        await check(tab, lang, 'account-totp-on');
        await page.click('a[href="/account/totp/remove"]');
        await page.waitForURL((url) => url.pathname === '/account/totp/remove');
        await check(tab, lang, 'confirm');

        await page.goto(`${server.url}/logout`);
        await page.click('button[value=sign_out]');
        await page.waitForURL((url) => url.pathname === '/logout');
        await page.goto(authorizeUrl());
        await signIn(page, totpPerson[lang], 'correct horse battery staple');
        await page.waitForURL((url) => url.pathname === '/login/second-factor');
        await page.fill('#otp', '12');
        await page.click('form[action="/login/second-factor"] button[type=submit]');
        await page.waitForSelector('p.error');
        expect(await page.textContent('p.error')).toBe(lang === 'en' ? 'That code did not work. Check it and try again, or use a recovery code.' : 'Dieser Code hat nicht funktioniert. Prüfe ihn und versuche es noch einmal, oder nutze einen Wiederherstellungscode.');
        await check(tab, lang, 'second-factor-error');
        nextStep(clock);
        await page.fill('#otp', totpCode(secret, clock.now()));
        await page.click('form[action="/login/second-factor"] button[type=submit]');
        await page.waitForURL((url) => url.pathname === '/consent');
        await tab.context.clearCookies();

        await page.goto(authorizeUrl({ acr_values: 'urn:latchkey:loa:2' }));
        await signIn(page, enrolPerson[lang], 'correct horse battery staple');
        await page.waitForURL((url) => url.pathname === '/login/enrol');
        await check(tab, lang, 'enrol');
        // The refused codes answer 400 on purpose; anything else (a CSP refusal, a missing asset) is a defect.
        expect(tab.consoleErrors.filter((line) => !/status of 400 \(Bad Request\)/.test(line))).toEqual([]);
        expect(tab.blocked).toEqual([]);
      } finally {
        await tab.context.close();
      }
    });
  }

  it('the 429 page: status, Retry-After, when to try again in words, in both languages', async () => {
    for (const lang of Object.keys(LANGUAGES) as Lang[]) {
      const tab = await tabIn(lang);
      try {
        await tab.page.goto(authorizeUrl());
        let status = 0;
        let retryAfter: string | null = null;
        for (let attempt = 0; attempt < 30 && status !== 429; attempt++) {
          await tab.page.fill('#username', 'nobody-at-all');
          await tab.page.fill('#password', 'x');
          const [response] = await Promise.all([tab.page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'), tab.page.click('button[type=submit]')]);
          status = response.status();
          retryAfter = await response.headerValue('retry-after');
        }
        expect(status).toBe(429);
        expect(Number(retryAfter)).toBeGreaterThan(0);
        expect(await tab.page.getAttribute('html', 'lang')).toBe(lang);
        const text = await tab.page.textContent('main');
        expect(text).toMatch(lang === 'en' ? /You can try again in \d+ (seconds?|minutes)\./ : /Du kannst es in \d+ (Sekunden?|Minuten) noch einmal versuchen\./);
        expect(text).not.toMatch(/too_many_requests|\{/);
        await check(tab, lang, 'too-many-requests');
      } finally {
        await tab.context.close();
      }
    }
    expect(checked).toHaveLength(2 * 13 + 2 * 8 + 2);
  });
});
