import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; CI installs it. Never `npx playwright install`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** Launches headless Chromium, or fails loudly (never skips) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH. The browser tests do not skip.`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

export interface BrowserTab {
  context: BrowserContext;
  page: Page;
  /** Requests the page tried to make outside 127.0.0.1 / localhost (aborted). */
  blocked: string[];
  /** Console errors; a CSP violation (say, a blocked form redirect) shows up here. */
  consoleErrors: string[];
  /** Every top-level navigation, redirects included, as "METHOD origin/path". */
  navigations: string[];
}

/** A page in a fresh browser context (own cookies) that may only talk to the loopback interface. */
export async function openTab(browser: Browser, options: { javaScriptEnabled?: boolean } = {}): Promise<BrowserTab> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true, serviceWorkers: 'block' });
  context.setDefaultTimeout(15_000); // fail within the test's 60 s, with Playwright's message
  const blocked: string[] = [];
  const consoleErrors: string[] = [];
  const navigations: string[] = [];
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === '127.0.0.1' || hostname === 'localhost') return route.continue();
    blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('request', (request) => {
    if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
    const url = new URL(request.url());
    navigations.push(`${request.method()} ${url.origin}${url.pathname}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  return { context, page, blocked, consoleErrors, navigations };
}
