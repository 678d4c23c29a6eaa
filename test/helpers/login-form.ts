import http from 'node:http';
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

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A form POST on its own connection, so the test can hang up on it (abort) as a client would; or
 * on `agent`'s (a keep-alive agent with one socket: the next request goes on the same connection).
 */
export function postLogin(
  issuer: string,
  cookie: string,
  fields: Record<string, string>,
  accept?: string,
  agent: http.Agent | false = false,
  headers: Record<string, string> = {},
): { answer: Promise<Answer>; abort(): void } {
  const body = new URLSearchParams(fields).toString();
  const request = http.request(`${issuer}/login`, {
    method: 'POST',
    agent,
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), cookie, ...(accept ? { accept } : {}) },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
    });
    request.on('error', reject);
  });
  request.end(body);
  return { answer, abort: () => request.destroy() };
}
