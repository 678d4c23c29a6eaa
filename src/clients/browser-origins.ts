import { isLoopbackHost } from '../config.js';

/** What decides a client's browser origins (a Client has these fields). */
export interface BrowserOriginFields {
  type: 'confidential' | 'public';
  origins: readonly string[];
  redirectUris: readonly string[];
}

/** An origin as browsers send it (scheme://host[:port]), or undefined for anything else. */
function originOf(uri: string): URL | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a redirect URI lives on `origin`. A registration on http://127.0.0.1 or http://[::1]
 * accepts any port (RFC 8252 7.3, as redirect-match.ts does), so it covers any port here too.
 */
function redirectUriOnOrigin(redirectUri: string, origin: string): boolean {
  const registered = originOf(redirectUri);
  const asked = originOf(origin);
  if (!registered || !asked) return false;
  if (registered.origin === asked.origin) return true;
  const loopbackLiteral = registered.hostname === '127.0.0.1' || registered.hostname === '[::1]';
  return loopbackLiteral && registered.protocol === 'http:' && asked.protocol === 'http:' && asked.hostname === registered.hostname && isLoopbackHost(asked.hostname);
}

/**
 * The browser origins a client's token-endpoint calls (/token, /revoke) are accepted and answered
 * with CORS from: those registered with --origin and, for a public client, the origins of its
 * redirect URIs (a single-page app is served where it is redirected back to). A confidential
 * client gets only what it registered: its secret must never be in a browser, so its redirect
 * URIs are a server's and say nothing about where a browser may call from.
 */
export function clientAllowsOrigin(client: BrowserOriginFields, origin: string): boolean {
  if (client.origins.includes(origin)) return true;
  return client.type === 'public' && client.redirectUris.some((uri) => redirectUriOnOrigin(uri, origin));
}

/** Whether the client has any browser origin at all (then calls from any other origin are refused). */
export function clientHasBrowserOrigins(client: BrowserOriginFields): boolean {
  return client.origins.length > 0 || (client.type === 'public' && client.redirectUris.some((uri) => originOf(uri) !== undefined));
}

/**
 * The redirect-URI prefixes that put a URI on `origin` (for the SQL of anyClientAllowsOrigin): the
 * origin followed by a path, a query or nothing; for a loopback literal, also any port.
 */
export function redirectUriPrefixes(origin: string): { exact: string[]; prefixes: string[] } {
  const asked = originOf(origin);
  if (!asked || asked.origin !== origin) return { exact: [], prefixes: [] };
  const exact = [origin];
  const prefixes = [`${origin}/`, `${origin}?`];
  if (asked.protocol === 'http:' && (asked.hostname === '127.0.0.1' || asked.hostname === '[::1]')) {
    const portless = `http://${asked.hostname}`;
    exact.push(portless);
    prefixes.push(`${portless}/`, `${portless}?`, `${portless}:`);
  }
  return { exact, prefixes };
}
