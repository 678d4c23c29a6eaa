import type { Branding } from './branding.js';
import { ensureContrast, parseHexColour, textOn, toHex, type Rgb } from './contrast.js';

export const STYLESHEET_PATH = '/assets/latchkey.css';

/**
 * Both schemes spell out every colour (system colours such as Canvas left the error text and focus
 * ring at light-mode values in dark mode). Ratios, WCAG 2.2 AA, checked by axe in
 * test/pages/accessibility.browser.test.ts: text >= 4.5:1 on the card and on the error box, input
 * borders and the focus ring >= 3:1 (1.4.11).
 */
const LIGHT = { bg: '#f3f4f6', card: '#ffffff', fg: '#111827', muted: '#4b5563', border: '#6b7280', cardBorder: '#d1d5db', field: '#ffffff', danger: '#b42318' };
const DARK = { bg: '#0b0d12', card: '#161a22', fg: '#e5e7eb', muted: '#a3aab8', border: '#8b93a3', cardBorder: '#2d3340', field: '#0f1218', danger: '#ff9c8f' };

/** The accent as links, buttons and the focus ring use it on one scheme's card: at least 4.5:1 there, with readable text on it. */
function accentFor(accent: Rgb, card: string): { accent: string; onAccent: string } {
  const adjusted = ensureContrast(accent, parseHexColour(card)!, 4.5);
  return { accent: toHex(adjusted), onAccent: toHex(textOn(adjusted)) };
}

function variables(colours: typeof LIGHT, accent: { accent: string; onAccent: string }): string {
  return `--bg: ${colours.bg}; --card: ${colours.card}; --fg: ${colours.fg}; --muted: ${colours.muted}; --border: ${colours.border}; --card-border: ${colours.cardBorder}; --field: ${colours.field}; --danger: ${colours.danger}; --accent: ${accent.accent}; --on-accent: ${accent.onAccent};`;
}

/** The one stylesheet, built once per process from the operator's branding. */
export function stylesheet(branding: Branding): string {
  return `
:root { color-scheme: light dark; ${variables(LIGHT, accentFor(branding.accent, LIGHT.card))} }
@media (prefers-color-scheme: dark) { :root { ${variables(DARK, accentFor(branding.accent, DARK.card))} } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 1rem; padding: 1.5rem 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header.brand { display: flex; align-items: center; gap: .6rem; font-weight: 700; font-size: 1.1rem; }
header.brand img { max-height: 40px; max-width: 160px; }
main { width: min(26rem, 92vw); padding: 2rem; background: var(--card); border: 1px solid var(--card-border); border-radius: 12px; box-shadow: 0 8px 30px rgb(0 0 0 / 8%); }
footer { font-size: .9rem; color: var(--muted); }
a { color: var(--accent); text-underline-offset: .15em; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
p.sub { margin: 0 0 1.5rem; color: var(--muted); overflow-wrap: anywhere; }
label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
input[type=text], input[type=password] { width: 100%; padding: .65rem .75rem; font: inherit; border: 1px solid var(--border); border-radius: 8px; background: var(--field); color: var(--fg); }
a:focus-visible, input:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button { margin-top: 1.5rem; width: 100%; padding: .7rem; font: inherit; font-weight: 600; border: 0; border-radius: 8px; background: var(--accent); color: var(--on-accent); cursor: pointer; }
button.danger { background: var(--danger); color: var(--card); }
button.secondary { background: transparent; color: var(--fg); border: 1px solid var(--border); margin-top: .75rem; }
button.link { width: auto; margin: 0; padding: 0; background: none; border: 0; color: var(--accent); font-weight: inherit; text-decoration: underline; text-underline-offset: .15em; }
form.inline { display: inline; }
div.switch { margin: 1.25rem 0 0; font-size: .95rem; color: var(--muted); }
.error { margin: 0 0 1rem; padding: .75rem; border-radius: 8px; background: color-mix(in srgb, var(--danger) 10%, var(--card)); color: var(--danger); border: 1px solid var(--danger); }
p.reference { margin: 1.25rem 0 0; font-size: .9rem; color: var(--muted); overflow-wrap: anywhere; }
p.reference code { color: var(--fg); }
ul.scopes { padding-left: 1.2rem; }
code { font-size: .9em; }
.device h1, .device strong { overflow-wrap: anywhere; }
.device p.hint { margin: .35rem 0 0; font-size: .9rem; color: var(--muted); }
p.divider { display: flex; align-items: center; gap: .75rem; margin: 1.25rem 0 0; color: var(--muted); font-size: .9rem; }
p.divider::before, p.divider::after { content: ""; flex: 1; border-top: 1px solid var(--card-border); }
form.passkey .error { margin: 1rem 0 0; }
.notice { margin: 0 0 1rem; padding: .75rem; border-radius: 8px; border: 1px solid var(--accent); background: color-mix(in srgb, var(--accent) 10%, var(--card)); }
ul.passkeys { list-style: none; padding: 0; margin: 0 0 1rem; }
.passkey-item { padding: .9rem 0; border-bottom: 1px solid var(--card-border); }
.passkey-head { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; overflow-wrap: anywhere; }
.tag { font-size: .75rem; padding: .1rem .45rem; border-radius: 999px; border: 1px solid var(--border); color: var(--muted); white-space: nowrap; }
.passkey-item form.inline { display: flex; gap: .5rem; margin-top: .5rem; }
.passkey-item form.inline input { flex: 1; min-width: 0; }
.passkey-item form.inline button, .passkey-item button.danger { width: auto; margin-top: 0; padding: .55rem .9rem; }
.passkey-item form + form { margin-top: .5rem; }
button.danger { background: transparent; color: var(--danger); border: 1px solid var(--danger); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
p.back { margin: 1.5rem 0 0; font-size: .9rem; }
.device .user-code { margin: .5rem 0 1.25rem; padding: .6rem; text-align: center; font: 600 1.6rem/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: .15em; border: 1px dashed var(--border); border-radius: 8px; }
.device input[type=text].user-code-input { font: 600 1.35rem/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: .15em; text-align: center; text-transform: uppercase; }
.device input[aria-invalid=true] { border-color: var(--danger); }
.hint { margin: .35rem 0 0; font-size: .9rem; color: var(--muted); }
main.wide { width: min(46rem, 94vw); }
a.button { display: block; margin-top: 1rem; padding: .7rem; text-align: center; font-weight: 600; border-radius: 8px; background: var(--accent); color: var(--on-accent); text-decoration: none; }
ul.choices { list-style: none; padding: 0; margin: 0; }
.account section { margin-top: 1.75rem; padding-top: 1.25rem; border-top: 1px solid var(--card-border); }
.account h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
.account h3 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
.account a.button { display: inline-block; padding: .55rem 1.1rem; }
.account section button { width: auto; padding: .55rem 1.1rem; }
.account form.inline button { margin-top: 0; padding: .3rem .7rem; font-size: .9rem; }
.account .notice { margin: 1rem 0 0; padding: .75rem; border-radius: 8px; border: 1px solid var(--accent); background: color-mix(in srgb, var(--accent) 10%, var(--card)); }
.account table { width: 100%; border-collapse: collapse; font-size: .9rem; }
.account th, .account td { text-align: left; padding: .45rem .4rem; border-bottom: 1px solid var(--card-border); vertical-align: top; }
.account th { color: var(--muted); font-weight: 600; }
.account td.agent { overflow-wrap: anywhere; color: var(--muted); }
.account td.action { text-align: right; }
.account .qr { width: 216px; height: 216px; margin: 1rem 0; background: white; padding: 8px; border-radius: 8px; }
.account .qr svg { width: 100%; height: 100%; display: block; }
.account code.secret { display: block; padding: .5rem; overflow-wrap: anywhere; font-size: .95rem; border: 1px dashed var(--border); border-radius: 8px; }
.account details { margin: .75rem 0; }
.account ol.codes { columns: 2; font: 1rem/1.8 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.account .header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
.visually-hidden { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
@media (max-width: 560px) {
  main.wide { padding: 1.25rem; }
  .account table thead { display: none; }
  .account table, .account tbody, .account tr, .account td { display: block; width: 100%; }
  .account tr { padding: .5rem 0; border-bottom: 1px solid var(--card-border); }
  .account td { border: 0; padding: .1rem 0; }
  .account td.action { text-align: left; padding-top: .4rem; }
  .account ol.codes { columns: 1; }
}
`;
}
