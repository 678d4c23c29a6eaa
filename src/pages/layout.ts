import { html, type Html } from './html.js';

export const STYLESHEET_PATH = '/assets/latchkey.css';

/** The one stylesheet; served by Latchkey itself so pages load nothing from outside. */
export const STYLESHEET = `
:root { color-scheme: light dark; --accent: #2457d6; --danger: #b42318; --muted: #667085; }
@media (prefers-color-scheme: dark) { :root { --danger: #ff9c8f; --muted: #a3acbd; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: Canvas; color: CanvasText; }
main { width: min(26rem, 92vw); padding: 2rem; border: 1px solid color-mix(in srgb, CanvasText 15%, transparent); border-radius: 12px; box-shadow: 0 8px 30px rgb(0 0 0 / 8%); }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.sub { margin: 0 0 1.5rem; color: var(--muted); }
label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
input[type=text], input[type=password] { width: 100%; padding: .65rem .75rem; font: inherit; border: 1px solid color-mix(in srgb, CanvasText 30%, transparent); border-radius: 8px; background: Field; color: FieldText; }
input:focus-visible, button:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); outline-offset: 2px; }
button { margin-top: 1.5rem; width: 100%; padding: .7rem; font: inherit; font-weight: 600; border: 0; border-radius: 8px; background: var(--accent); color: white; cursor: pointer; }
button.secondary { background: transparent; color: CanvasText; border: 1px solid color-mix(in srgb, CanvasText 30%, transparent); margin-top: .75rem; }
.error { margin: 0 0 1rem; padding: .75rem; border-radius: 8px; background: color-mix(in srgb, var(--danger) 12%, transparent); color: var(--danger); }
ul.scopes { padding-left: 1.2rem; }
code { font-size: .9em; }
.device h1, .device strong { overflow-wrap: anywhere; }
.device p.hint { margin: .35rem 0 0; font-size: .9rem; color: var(--muted); }
.device .user-code { margin: .5rem 0 1.25rem; padding: .6rem; text-align: center; font: 600 1.6rem/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: .15em; border: 1px dashed color-mix(in srgb, CanvasText 35%, transparent); border-radius: 8px; }
.device input[type=text].user-code-input { font: 600 1.35rem/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: .15em; text-align: center; text-transform: uppercase; }
.device input[aria-invalid=true] { border-color: var(--danger); }
main.wide { width: min(46rem, 94vw); }
.hint { margin: .35rem 0 0; font-size: .9rem; color: var(--muted); }
a { color: var(--accent); }
@media (prefers-color-scheme: dark) { a { color: #8fb0ff; } }
a.button { display: block; margin-top: 1rem; padding: .7rem; text-align: center; font-weight: 600; border-radius: 8px; background: var(--accent); color: white; text-decoration: none; }
ul.choices { list-style: none; padding: 0; margin: 0; }
.account section { margin-top: 1.75rem; padding-top: 1.25rem; border-top: 1px solid color-mix(in srgb, CanvasText 15%, transparent); }
.account h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
.account h3 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
.account a.button { display: inline-block; padding: .55rem 1.1rem; }
.account section button { width: auto; padding: .55rem 1.1rem; }
.account form.inline { display: inline; }
.account form.inline button { margin-top: 0; padding: .3rem .7rem; font-size: .9rem; }
.account .notice { margin: 1rem 0 0; padding: .75rem; border-radius: 8px; background: color-mix(in srgb, var(--accent) 14%, transparent); }
.account table { width: 100%; border-collapse: collapse; font-size: .9rem; }
.account th, .account td { text-align: left; padding: .45rem .4rem; border-bottom: 1px solid color-mix(in srgb, CanvasText 12%, transparent); vertical-align: top; }
.account th { color: var(--muted); font-weight: 600; }
.account td.agent { overflow-wrap: anywhere; color: var(--muted); }
.account td.action { text-align: right; }
.account .qr { width: 216px; height: 216px; margin: 1rem 0; background: white; padding: 8px; border-radius: 8px; }
.account .qr svg { width: 100%; height: 100%; display: block; }
.account code.secret { display: block; padding: .5rem; overflow-wrap: anywhere; font-size: .95rem; border: 1px dashed color-mix(in srgb, CanvasText 35%, transparent); border-radius: 8px; }
.account details { margin: .75rem 0; }
.account ol.codes { columns: 2; font: 1rem/1.8 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.account .header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
@media (max-width: 560px) {
  main.wide { padding: 1.25rem; }
  .account table thead { display: none; }
  .account table, .account tbody, .account tr, .account td { display: block; width: 100%; }
  .account tr { padding: .5rem 0; border-bottom: 1px solid color-mix(in srgb, CanvasText 12%, transparent); }
  .account td { border: 0; padding: .1rem 0; }
  .account td.action { text-align: left; padding-top: .4rem; }
  .account ol.codes { columns: 1; }
}
`;

/** `wide`: a page of sections and tables (/account) rather than one form. */
export function page(title: string, body: Html, options: { wide?: boolean } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Latchkey</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main${options.wide ? html` class="wide"` : ''}>
${body}
</main>
</body>
</html>
`.value;
}
