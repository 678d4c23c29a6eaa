import * as client from 'openid-client';
import type { BrowserTab } from './chromium.js';

/** An authorization request with PKCE S256, state and nonce, as a browser test starts one. */
export async function browserAuthorizationRequest(config: client.Configuration, input: { redirectUri: string; scope?: string; extra?: Record<string, string> }) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: input.redirectUri,
    response_type: 'code',
    scope: input.scope ?? 'openid profile',
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...input.extra,
  });
  return { codeVerifier, state, nonce, url: url.toString() };
}

/** Waits until the browser shows the app's /callback and returns that URL (or says where it got stuck). */
export async function landedAtCallback({ page, consoleErrors }: BrowserTab, app: { origin: string; callback: string }): Promise<URL> {
  await page.waitForURL((url) => url.origin === app.origin && url.pathname === '/callback').catch((error: Error) => {
    throw new Error(`never reached ${app.callback}; stuck at ${page.url()}; console errors: ${JSON.stringify(consoleErrors)}`, { cause: error });
  });
  return new URL(page.url());
}
