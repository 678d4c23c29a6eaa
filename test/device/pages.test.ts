import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import {
  deviceApprovalPage,
  deviceApprovedPage,
  deviceCodeUnusablePage,
  deviceDeniedPage,
  userCodePage,
  userCodeErrorText,
} from '../../src/oauth/device/pages.js';
import { DEFAULT_BRANDING } from '../../src/pages/branding.js';
import { installPages } from '../../src/pages/asset-routes.js';
import { STYLESHEET_PATH } from '../../src/pages/stylesheet.js';
import { sendHtml } from '../../src/pages/send-html.js';
import { launchChromium, openTab } from '../helpers/chromium.js';
import { testUi } from '../helpers/page-ui.js';

const ui = testUi();
const USER_CODE_ERRORS = { malformed: userCodeErrorText(ui, 'malformed'), unusable: userCodeErrorText(ui, 'unusable') };

const HOSTILE_NAME = `</strong><script>alert(1)</script><img src=x onerror="alert(2)">'"&amp;`;
const HOSTILE_SCOPE = `openid "><script>alert(3)</script> profile`;
const LONG_NAME = 'Supercalifragilisticexpialidocious'.repeat(6);

interface Layout {
  overflow: number;
  mainTop: number;
  mainLeft: number;
  mainRight: number;
  textColor: string;
  background: string;
  scripts: number;
  alerts: number;
}

/** Every page the device flow shows, with hostile values wherever a value goes in. */
function allPages(name = HOSTILE_NAME): Record<string, string> {
  return {
    entry: userCodePage(ui, { csrfToken: 'csrf"><x>', userCode: `"><script>alert(4)</script>`, error: 'unusable' }),
    empty: userCodePage(ui, { csrfToken: 'csrf' }),
    approval: deviceApprovalPage(ui, { csrfToken: 'csrf', userCode: 'BCDF-GHJK', clientName: name, scope: HOSTILE_SCOPE, username: `<b>mallory</b>` }),
    approved: deviceApprovedPage(ui, name),
    denied: deviceDeniedPage(ui, name),
    unusable: deviceCodeUnusablePage(ui),
  };
}

describe('device pages (RFC 8628 3.3)', () => {
  it('escape a hostile client name, scope, username, code and CSRF token everywhere', () => {
    for (const [name, body] of Object.entries(allPages())) {
      expect(body, name).not.toMatch(/<script|<img|<x>|<b>|onerror="/i);
    }
    const approval = allPages().approval;
    expect(approval).toContain('&lt;/strong&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;&#39;&quot;&amp;amp;');
    expect(approval).toContain('<code>&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;</code>');
    expect(approval).toContain('&lt;b&gt;mallory&lt;/b&gt;');
    expect(allPages().entry).toContain('value="csrf&quot;&gt;&lt;x&gt;"');
  });

  it('are CSP-compatible: no script, no inline style, no event handlers, no javascript: URLs, nothing from elsewhere', () => {
    for (const [name, body] of Object.entries(allPages('Living-room TV'))) {
      expect(body, name).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=|javascript:/i);
      expect(body, name).not.toMatch(/(src|href|action)="(https?:)?\/\//i);
      expect(body, name).toContain(`<link rel="stylesheet" href="${STYLESHEET_PATH}">`);
    }
  });

  it('the code form: one user_code field made for typing a code, its label, the format, CSRF, and an error slot', () => {
    const empty = userCodePage(ui, { csrfToken: 'the-csrf' });
    expect(empty).toContain('<form method="post" action="/device">');
    expect(empty).toContain('<input type="hidden" name="csrf_token" value="the-csrf">');
    expect(empty).toContain('<label for="user_code">');
    const field = empty.match(/<input type="text"[^>]*>/)?.[0] ?? '';
    for (const attribute of ['id="user_code"', 'name="user_code"', 'autocomplete="off"', 'autocapitalize="characters"', 'spellcheck="false"', 'inputmode="text"', 'required', 'aria-describedby="user_code_hint"']) {
      expect(field).toContain(attribute);
    }
    expect(field).toMatch(/pattern="[^"]+"/);
    expect(field).not.toContain('aria-invalid');
    expect(empty).toContain('XXXX-XXXX');
    expect(empty).not.toContain('class="error"');
    expect(empty.match(/<(input|button|select|textarea)[^>]* name="/g)).toHaveLength(2);

    const failed = userCodePage(ui, { csrfToken: 'c', userCode: 'bcdf-ghj', error: 'malformed', action: '/device/code' });
    expect(failed).toContain('<form method="post" action="/device/code">');
    expect(failed).toContain('value="bcdf-ghj"');
    expect(failed).toContain(`<p class="error" role="alert" id="user_code_error">${USER_CODE_ERRORS.malformed}</p>`);
    expect(failed).toContain('aria-invalid="true"');
    expect(failed).toContain('aria-describedby="user_code_error user_code_hint"');
    expect(userCodePage(ui, { csrfToken: 'c', userCode: 'B'.repeat(1000) })).toContain(`value="${'B'.repeat(32)}"`);
  });

  it('the approval page: client, the code to compare, the scopes described, Allow and Deny with CSRF', () => {
    const body = deviceApprovalPage(ui, { csrfToken: 'the-csrf', userCode: 'BCDF-GHJK', clientName: 'Living-room TV', scope: 'openid profile offline_access orders:read', username: 'alice' });
    expect(body).toContain('<h1>Allow <strong>Living-room TV</strong> on your device?</h1>');
    expect(body).toContain('<p class="user-code">BCDF-GHJK</p>');
    expect(body).toContain('Signed in as <strong>alice</strong>');
    expect(body).toContain('<li><code>profile</code>: your name and username</li>');
    expect(body).toContain('<li><code>offline_access</code>: stay signed in and act for you while you are away</li>');
    expect(body).toContain('<li><code>orders:read</code>: access defined by the application</li>');
    expect(body).toContain('<input type="hidden" name="csrf_token" value="the-csrf">');
    expect(body).toContain('<input type="hidden" name="user_code" value="BCDF-GHJK">');
    expect(body).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(body).toContain('<button type="submit" name="decision" value="deny" class="secondary">Deny</button>');
    expect(body).toMatch(/If someone sent you this code or link, deny/);
    expect(deviceApprovalPage(ui, { csrfToken: 'c', userCode: 'BCDF-GHJK', clientName: 'TV', scope: '' })).not.toContain('<ul');
  });

  it('the result pages say what happened, and one page covers unknown, expired and used codes', () => {
    expect(deviceApprovedPage(ui, 'TV')).toMatch(/<h1>Device connected<\/h1>[\s\S]*return to your device/);
    expect(deviceDeniedPage(ui, 'TV')).toMatch(/<h1>Request denied<\/h1>[\s\S]*Nothing was shared with <strong>TV<\/strong>/);
    const unusable = deviceCodeUnusablePage(ui);
    expect(unusable).toContain('<h1>Code not valid or expired</h1>');
    expect(unusable).toContain(USER_CODE_ERRORS.unusable);
    expect(unusable).toContain('<a href="/device">');
  });

  describe('in a browser, under the real CSP, at phone and desktop widths, light and dark', () => {
    let server: FastifyInstance;
    let browser: Browser;
    let base: string;

    beforeAll(async () => {
      const pages = { ...allPages(LONG_NAME), hostile: allPages().approval };
      server = Fastify();
      installPages(server, DEFAULT_BRANDING);
      server.get<{ Params: { name: string } }>('/pages/:name', (request, reply) => sendHtml(reply, 200, pages[request.params.name as keyof typeof pages] ?? ''));
      base = await server.listen({ host: '127.0.0.1', port: 0 });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    const viewports = [
      { name: 'phone', width: 360, height: 740 },
      { name: 'desktop', width: 1280, height: 800 },
    ];

    it('lay out without sideways scrolling, with the stylesheet applied and no CSP complaints', async () => {
      for (const viewport of viewports) {
        for (const colorScheme of ['light', 'dark'] as const) {
          const tab = await openTab(browser);
          try {
            await tab.page.setViewportSize(viewport);
            await tab.page.emulateMedia({ colorScheme });
            for (const name of ['entry', 'empty', 'approval', 'approved', 'denied', 'unusable', 'hostile']) {
              const where = `${name} at ${viewport.name} ${colorScheme}`;
              await tab.page.goto(`${base}/pages/${name}`);
              // A string, as the other browser tests do: the test project has no DOM types.
              const layout = await tab.page.evaluate<Layout>(`(() => {
                const main = document.querySelector('main').getBoundingClientRect();
                const body = getComputedStyle(document.body);
                return {
                  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                  mainTop: main.top + window.scrollY,
                  mainLeft: main.left,
                  mainRight: main.right,
                  textColor: body.color,
                  background: body.backgroundColor,
                  scripts: document.scripts.length,
                  alerts: document.querySelectorAll('img, script').length,
                };
              })()`);
              expect(layout.overflow, where).toBeLessThanOrEqual(0);
              expect(layout.mainTop, where).toBeGreaterThanOrEqual(0);
              expect(layout.mainLeft, where).toBeGreaterThanOrEqual(0);
              expect(layout.mainRight, where).toBeLessThanOrEqual(viewport.width);
              expect(layout.scripts + layout.alerts, where).toBe(0);
              // color-scheme: light dark → system colours follow the preference.
              const brightness = (rgb: string) => rgb.match(/\d+/g)!.slice(0, 3).reduce((sum, n) => sum + Number(n), 0);
              if (colorScheme === 'dark') expect(brightness(layout.textColor), where).toBeGreaterThan(brightness(layout.background));
              else expect(brightness(layout.textColor), where).toBeLessThan(brightness(layout.background));
            }
            await tab.page.goto(`${base}/pages/approval`);
            expect(await tab.page.evaluate<string>(`getComputedStyle(document.querySelector('.user-code')).fontFamily`)).toMatch(/monospace/);
            expect(tab.consoleErrors).toEqual([]);
            expect(tab.blocked).toEqual([]);
          } finally {
            await tab.context.close();
          }
        }
      }
    });

    it("the field's pattern compiles in the browser and admits what the server accepts", async () => {
      const tab = await openTab(browser);
      try {
        await tab.page.goto(`${base}/pages/empty`);
        const field = tab.page.locator('#user_code');
        const valid = async (value: string) => {
          await field.fill(value);
          return tab.page.evaluate<boolean>(`document.getElementById('user_code').validity.valid`);
        };
        for (const ok of ['BCDF-GHJK', 'bcdf ghjk', 'bcdfghjk', ' bcdf - ghjk ']) expect(await valid(ok), ok).toBe(true);
        for (const bad of ['', 'BCDF-GHJ', 'BCDF_GHJK', 'BCDF-GHJK1']) expect(await valid(bad), bad).toBe(false);
        expect(tab.consoleErrors).toEqual([]);
      } finally {
        await tab.context.close();
      }
    });
  });
});
