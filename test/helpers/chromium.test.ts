import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from './chromium.js';

// The browser finder (README "Tests"): the system Chromium when present, otherwise the one inside the
// npm package @sparticuz/chromium; never a skip.
const NO_SUCH_BROWSER = '/nonexistent/chromium';

describe('finding the browser for the tests', () => {
  it('without a system Chromium, auto mode starts the one shipped in @sparticuz/chromium and it renders a page', async () => {
    const choice = { mode: 'auto', systemPath: NO_SUCH_BROWSER };
    const found = await findChromium(choice);
    expect(found.source).toBe('bundled');
    expect(found.executablePath).toMatch(/node_modules\/\.cache\/latchkey-chromium\/[\d.]+\/chromium$/);
    const browser = await launchChromium(choice);
    try {
      const page = await browser.newPage();
      await page.setContent('<main><h1>Latchkey</h1><input aria-label="Username"></main>');
      expect(await page.getByRole('heading').textContent()).toBe('Latchkey');
      await page.getByLabel('Username').fill('ada');
      expect(await page.getByLabel('Username').inputValue()).toBe('ada');
    } finally {
      await browser.close();
    }
  });

  it('bundled mode ignores a system Chromium that is present', async () => {
    const found = await findChromium({ mode: 'bundled', systemPath: process.execPath });
    expect(found.source).toBe('bundled');
  });

  it('auto mode prefers the system Chromium when there is one', async () => {
    const found = await findChromium({ mode: 'auto', systemPath: process.execPath });
    expect(found).toEqual({ source: 'system', executablePath: process.execPath });
  });

  it('system mode without a system Chromium fails and says how to get one', async () => {
    await expect(findChromium({ mode: 'system', systemPath: NO_SUCH_BROWSER })).rejects.toThrow(
      /no Chromium at \/nonexistent\/chromium: install it \(apt-get install chromium\) or set CHROMIUM_PATH\. The browser tests do not skip/,
    );
  });

  it('a binary that is not a browser fails the launch with the reason, not a skip', async () => {
    const notABrowser = existsSync('/bin/false') ? '/bin/false' : '/usr/bin/false';
    await expect(launchChromium({ mode: 'system', systemPath: notABrowser })).rejects.toThrow(/The system Chromium \(.*false\) did not start\. .*The browser tests do not skip\. Cause: /);
  });

  it('an unknown TEST_CHROMIUM value is refused', async () => {
    await expect(findChromium({ mode: 'chrome', systemPath: NO_SUCH_BROWSER })).rejects.toThrow('TEST_CHROMIUM=chrome: expected auto, system or bundled');
  });
});
