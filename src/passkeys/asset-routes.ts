import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PASSKEYS_SCRIPT } from './browser-script.js';

export const WEBAUTHN_BROWSER_PATH = '/assets/simplewebauthn-browser.js';
export const PASSKEYS_SCRIPT_PATH = '/assets/passkeys.js';
/** The scripts a page with a passkey ceremony loads, in order (Latchkey's own, nothing from outside). */
export const PASSKEY_SCRIPTS: readonly string[] = [WEBAUTHN_BROWSER_PATH, PASSKEYS_SCRIPT_PATH];

/** @simplewebauthn/browser's own UMD build (it defines `SimpleWebAuthnBrowser`), read from the installed package. */
function webauthnBrowserBundle(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

/** Serves the two scripts of the WebAuthn ceremonies; read once, when the app is built. */
export function registerPasskeyAssetRoutes(app: FastifyInstance): void {
  const bundle = webauthnBrowserBundle();
  const send = (body: string) => (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body);
  app.get(WEBAUTHN_BROWSER_PATH, send(bundle));
  app.get(PASSKEYS_SCRIPT_PATH, send(PASSKEYS_SCRIPT));
}
