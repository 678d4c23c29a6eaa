import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { contrast, ensureContrast, parseHexColour, textOn, type Rgb } from '../../src/pages/contrast.js';
import { MAX_LOGO_BYTES, sniffImage } from '../../src/pages/logo-file.js';
import { CATALOGUES, negotiateLanguage, type Messages } from '../../src/pages/messages/index.js';
import { stylesheet } from '../../src/pages/stylesheet.js';
import { testConfig } from '../helpers/config.js';
import { injectableApp, type InjectableApp } from './app.js';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-logo-'));
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(64, 1)]);
const SVG = '<?xml version="1.0"?>\n<!-- ours -->\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script><rect width="10" height="10"/></svg>';
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('Accept-Language picks the catalogue (q-values honoured, English by default)', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['de', 'de'],
    ['de-CH', 'de'],
    ['fr-FR, de;q=0.8, en;q=0.5', 'de'],
    ['en;q=0.4, de;q=0.9', 'de'],
    ['de;q=0, en', 'en'],
    ['fr, it', 'en'],
    ['*', 'en'],
    ['garbage;;;q=x,,', 'en'],
  ])('%j -> %s', (header, expected) => {
    expect(negotiateLanguage(header)).toBe(expected);
  });

  it('German has every key English has (the compiler checks it; this guards the nested ones at run time)', () => {
    const shape = (messages: Messages) => Object.entries(messages).map(([key, value]) => `${key}:${typeof value === 'object' ? Object.keys(value).sort().join(',') : typeof value}`);
    expect(shape(CATALOGUES.de)).toEqual(shape(CATALOGUES.en));
    // @ts-expect-error a catalogue without a key is not a Messages
    const incomplete: Messages = { ...CATALOGUES.de, signInTitle: undefined };
    expect(incomplete).toBeDefined();
  });
});

describe('the accent colour keeps text readable (WCAG 2.2 AA)', () => {
  it.each(['#2457d6', '#ffff00', '#ffffff', '#000000', '#777777', '#12a4ff', '#e11d48', '#7c3aed', '#22c55e'])('%s: on both cards >= 4.5:1, text on it >= 4.5:1', (hex) => {
    const css = stylesheet({ productName: 'X', accent: parseHexColour(hex)! });
    const [light, dark] = [...css.matchAll(/--card: (#[0-9a-f]{6});[^}]*--accent: (#[0-9a-f]{6}); --on-accent: (#[0-9a-f]{6});/g)].map((m) => m.slice(1).map((c) => parseHexColour(c)!));
    for (const [card, accent, onAccent] of [light!, dark!] as [Rgb, Rgb, Rgb][]) {
      expect(contrast(accent, card)).toBeGreaterThanOrEqual(4.5);
      expect(contrast(onAccent, accent)).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('leaves a colour that already contrasts alone, and text on any colour reaches 4.5:1', () => {
    expect(ensureContrast([36, 87, 214], [255, 255, 255], 4.5)).toEqual([36, 87, 214]);
    for (let grey = 0; grey <= 255; grey += 5) expect(contrast(textOn([grey, grey, grey]), [grey, grey, grey])).toBeGreaterThanOrEqual(4.5);
  });

  it.each(['blue', '#12345', '#ggg', 'rgb(1,2,3)', '#1234567'])('refuses BRAND_ACCENT_COLOR=%s', (value) => {
    expect(() => testConfig({ BRAND_ACCENT_COLOR: value })).toThrow(/BRAND_ACCENT_COLOR must be a hex colour/);
  });
});

describe('BRAND_LOGO_FILE: an image by its content, within the size limit', () => {
  it.each([
    ['a PNG', PNG, 'image/png'],
    ['a WebP', Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), 'image/webp'],
    ['an SVG after a declaration and a comment', Buffer.from(SVG), 'image/svg+xml'],
    ['HTML', Buffer.from('<html><svg></svg></html>'), undefined],
    ['text', Buffer.from('hello'), undefined],
  ])('%s', (_name, bytes, expected) => {
    expect(sniffImage(bytes)).toBe(expected);
  });

  it.each([
    ['a missing file', join(dir, 'nope.png'), /BRAND_LOGO_FILE cannot be read \(ENOENT\)/],
    ['an empty file', file('empty.png', ''), /BRAND_LOGO_FILE is empty/],
    ['an HTML file named .svg', file('page.svg', '<html><script>alert(1)</script></html>'), /must be a PNG, WebP, JPEG, GIF or SVG image/],
    ['a file over the limit', file('big.png', Buffer.concat([PNG, Buffer.alloc(MAX_LOGO_BYTES)])), /at most 262144 bytes/],
  ])('refuses %s at start-up', (_name, path, message) => {
    expect(() => testConfig({ BRAND_LOGO_FILE: path })).toThrow(ConfigError);
    expect(() => testConfig({ BRAND_LOGO_FILE: path })).toThrow(message);
  });

  it('refuses a support link that is not https, http or mailto', () => {
    expect(() => testConfig({ BRAND_SUPPORT_URL: 'javascript:alert(1)' })).toThrow(/BRAND_SUPPORT_URL/);
  });
});

describe('branded pages over inject', () => {
  let subject: InjectableApp;
  beforeAll(async () => {
    subject = await injectableApp({ BRAND_NAME: 'Acme ID', BRAND_LOGO_FILE: file('logo.svg', SVG), BRAND_ACCENT_COLOR: '#ffcc00', BRAND_SUPPORT_URL: 'mailto:help@acme.example' });
  });
  afterAll(async () => subject?.close());

  it('every page shows the name, the logo (served by us, hashed URL) and the support link, in the negotiated language', async () => {
    const page = await subject.app.inject({ url: '/device', headers: { 'accept-language': 'de-AT,de;q=0.9' } });
    expect(page.body).toContain('<html lang="de">');
    expect(page.body).toContain('<title>Gerät verbinden · Acme ID</title>');
    expect(page.body).toMatch(/<header class="brand"><img src="\/assets\/logo\?v=[0-9a-f]{16}" alt="" height="40"><span>Acme ID<\/span><\/header>/);
    expect(page.body).toContain('<a href="mailto:help@acme.example" rel="noopener noreferrer">Hilfe nötig? Support kontaktieren</a>');
    expect(page.body).toContain('<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">');
  });

  it('the logo: its content type, a CSP that runs nothing, nosniff, cached with an ETag', async () => {
    const logo = await subject.app.inject({ url: '/assets/logo' });
    expect(logo.statusCode).toBe(200);
    expect(logo.headers['content-type']).toBe('image/svg+xml');
    expect(logo.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox");
    expect(logo.headers['x-content-type-options']).toBe('nosniff');
    expect(logo.headers['cache-control']).toBe('public, max-age=86400');
    const again = await subject.app.inject({ url: '/assets/logo', headers: { 'if-none-match': String(logo.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('the favicon, at its path and at /favicon.ico', async () => {
    for (const url of ['/assets/favicon.svg', '/favicon.ico']) {
      const icon = await subject.app.inject({ url });
      expect(icon.statusCode, url).toBe(200);
      expect(icon.headers['content-type'], url).toBe('image/svg+xml');
      expect(icon.body, url).toMatch(/^<svg /);
    }
  });

  it('a yellow accent gets dark text on its buttons and a darkened variant for links on white', async () => {
    const css = (await subject.app.inject({ url: '/assets/latchkey.css' })).body;
    expect(css).toMatch(/--on-accent: #000000/);
    expect(css).not.toMatch(/--accent: #ffcc00; --on-accent: #000000; }\n@media/); // darkened on the light card
  });

  it('error pages: the reference is the request id, the words are the person’s', async () => {
    const response = await subject.app.inject({ url: '/authorize?client_id=nobody', headers: { 'accept-language': 'en' } });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(`<code>${response.headers['x-request-id']}</code>`);
    expect(response.body).toContain('Application not recognised');
    expect(response.body).not.toContain('client_id');
  });
});
