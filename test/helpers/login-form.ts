import { BrowserAgent, hiddenField } from './http-agent.js';
import { authorizeParams, authorizeUrl, pkcePair } from './flow.js';

/** Opens the login page for a fresh /authorize request of this client; returns the form's hidden fields. */
export async function openLoginForm(agent: BrowserAgent, issuer: string, clientId: string, redirectUri: string, extra: Record<string, string> = {}) {
  const start = await agent.navigate(authorizeUrl(issuer, authorizeParams(clientId, redirectUri, pkcePair(), extra)));
  if (start.leftTo || start.response.status !== 200) throw new Error(`expected the login page, got ${start.response.status} ${start.leftTo ?? ''}`);
  const page = await start.response.text();
  return { page, csrf: hiddenField(page, 'csrf_token'), requestId: hiddenField(page, 'request_id') };
}

/** One login attempt as a browser makes it: open the form, post it, follow redirects inside the issuer. */
export async function attemptLogin(agent: BrowserAgent, issuer: string, clientId: string, redirectUri: string, username: string, password: string) {
  const { csrf, requestId } = await openLoginForm(agent, issuer, clientId, redirectUri);
  const result = await agent.submit('/login', { csrf_token: csrf, request_id: requestId, username, password });
  return { ...result, body: result.leftTo ? '' : await result.response.text(), csrf, requestId };
}

/**
 * A failed-login page with everything that legitimately differs per attempt blanked out: the
 * request id, the CSRF token and the echoed username. What remains must be byte-identical.
 */
export function comparableFailurePage(result: { body: string; requestId: string; csrf: string }): string {
  return result.body
    .replaceAll(result.requestId, 'REQ')
    .replaceAll(result.csrf, 'CSRF')
    .replace(/name="username"[^>]*>/, 'USERNAME>');
}
