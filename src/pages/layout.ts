import { logoUrl } from './branding.js';
import { FAVICON_PATH } from './favicon.js';
import { html, type Html } from './html.js';
import { STYLESHEET_PATH } from './stylesheet.js';
import type { PageUi } from './ui.js';

function brandHeader(ui: PageUi): Html {
  const { brand } = ui;
  // The name is always written out, so the logo is decoration (alt="") and never read twice.
  return html`<header class="brand">${brand.logo ? html`<img src="${logoUrl(brand.logo)}" alt="" height="40">` : ''}<span>${brand.productName}</span></header>`;
}

function supportFooter(ui: PageUi): Html | string {
  return ui.brand.supportUrl ? html`<footer><a href="${ui.brand.supportUrl}" rel="noopener noreferrer">${ui.t.getHelp}</a></footer>` : '';
}

/**
 * Every Latchkey page: the person's language, the operator's name, logo and support link, our stylesheet.
 * `wide`: a page of sections and tables (/account) rather than one form.
 * `scripts`: Latchkey's own script paths, for the few pages that need one (a WebAuthn
 * ceremony); send such a page with sendHtml's `scripts` option so its CSP allows them.
 */
export function page(ui: PageUi, title: string, body: Html, options: { wide?: boolean; scripts?: readonly string[] } = {}): string {
  return html`<!doctype html>
<html lang="${ui.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${ui.t.pageTitle(title, ui.brand.productName)}</title>
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>
`)}</head>
<body>
${brandHeader(ui)}
<main${options.wide ? html` class="wide"` : ''}>
${body}
</main>
${supportFooter(ui)}
</body>
</html>
`.value;
}
