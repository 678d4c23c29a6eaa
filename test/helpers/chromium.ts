import { execFileSync } from 'node:child_process';
import { chmodSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';

/**
 * The one place that finds the browser for the tests. Never `npx playwright install`.
 *
 * TEST_CHROMIUM picks where it comes from:
 * - `auto` (default): the system Chromium at CHROMIUM_PATH (default Debian's /usr/bin/chromium) when
 *   it is there, otherwise the one shipped inside the npm package @sparticuz/chromium (a devDependency).
 * - `system`: only CHROMIUM_PATH; a missing binary fails.
 * - `bundled`: only the package's Chromium, as on a machine without a system browser.
 * Whatever the choice, a browser that cannot be found or started fails the suite with the reason:
 * the browser tests never skip.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ChromiumChoice {
  /** `auto`, `system` or `bundled` (TEST_CHROMIUM). */
  mode: string;
  /** The system Chromium's path (CHROMIUM_PATH). */
  systemPath: string;
}
const FROM_ENVIRONMENT: ChromiumChoice = { mode: process.env.TEST_CHROMIUM ?? 'auto', systemPath: CHROMIUM_PATH };

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

export interface FoundChromium {
  source: 'system' | 'bundled';
  executablePath: string;
  env?: Record<string, string>;
}

/** Launches headless Chromium, or fails loudly (never skips) when none can be found or started. */
export async function launchChromium(choice: ChromiumChoice = FROM_ENVIRONMENT): Promise<Browser> {
  const found = await findChromium(choice);
  const options: LaunchOptions = { executablePath: found.executablePath, args: ARGS };
  if (found.env) options.env = { ...process.env, ...found.env } as Record<string, string>;
  try {
    return await chromium.launch(options);
  } catch (error) {
    throw new Error(
      `The ${found.source} Chromium (${found.executablePath}) did not start. ` +
        (found.source === 'bundled'
          ? 'It needs glibc and libgcc only; see README "Tests" for what a minimal machine needs. '
          : 'Check it runs: `' + found.executablePath + ' --headless --dump-dom about:blank`. ') +
        `The browser tests do not skip. Cause: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

export async function findChromium({ mode, systemPath }: ChromiumChoice = FROM_ENVIRONMENT): Promise<FoundChromium> {
  if (mode !== 'auto' && mode !== 'system' && mode !== 'bundled') {
    throw new Error(`TEST_CHROMIUM=${mode}: expected auto, system or bundled`);
  }
  if (mode !== 'bundled' && existsSync(systemPath)) return { source: 'system', executablePath: systemPath };
  if (mode === 'system') {
    throw new Error(`TEST_CHROMIUM=system but no Chromium at ${systemPath}: install it (apt-get install chromium) or set CHROMIUM_PATH. The browser tests do not skip.`);
  }
  return unpackBundledChromium(systemPath);
}

/**
 * @sparticuz/chromium carries chrome-headless-shell brotli-compressed in the package, with the NSS,
 * NSPR and expat libraries it links (built for Amazon Linux, whose glibc is older than Debian's) and
 * a font. Its own executablePath() unpacks into the shared /tmp/chromium and adds the libraries only
 * on Amazon Linux, so the files are unpacked here instead: once per package version into
 * node_modules/.cache, atomically (test files run in parallel workers), with the libraries beside the
 * binary and a fontconfig file of its own.
 */
async function unpackBundledChromium(systemPath: string): Promise<FoundChromium> {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('@sparticuz/chromium');
  } catch {
    throw new Error(`No Chromium at ${systemPath} and the devDependency @sparticuz/chromium is not installed (run npm ci). The browser tests do not skip.`);
  }
  const packageRoot = resolve(dirname(entry), '../..');
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const cacheRoot = resolve(packageRoot, '../../.cache/latchkey-chromium');
  const target = join(cacheRoot, version);
  const executablePath = join(target, 'chromium');
  if (!existsSync(executablePath)) {
    mkdirSync(cacheRoot, { recursive: true });
    const staging = mkdtempSync(join(cacheRoot, `${version}-partial-`));
    try {
      const bin = join(packageRoot, 'bin');
      await brotliToFile(join(bin, 'chromium.br'), join(staging, 'chromium'));
      chmodSync(join(staging, 'chromium'), 0o755);
      for (const archive of ['al2023.tar.br', 'swiftshader.tar.br', 'fonts.tar.br']) {
        const tar = join(staging, archive.replace(/\.br$/, ''));
        await brotliToFile(join(bin, archive), tar);
        execFileSync('tar', ['-xf', tar, '-C', staging]);
        rmSync(tar);
      }
      writeFileSync(
        join(staging, 'fonts.conf'),
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${target}/fonts</dir>\n  <cachedir>${target}/fonts-cache</cachedir>\n</fontconfig>\n`,
      );
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another worker may have finished first; anything else is a real failure.
      if (!existsSync(executablePath)) throw error;
    }
  }
  return {
    source: 'bundled',
    executablePath,
    env: { LD_LIBRARY_PATH: [join(target, 'lib'), target, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), FONTCONFIG_PATH: target },
  };
}

async function brotliToFile(source: string, destination: string): Promise<void> {
  await pipeline(createReadStream(source), createBrotliDecompress(), createWriteStream(destination));
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
