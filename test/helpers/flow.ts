import { createHash, randomBytes } from 'node:crypto';
import { BrowserAgent, hiddenField } from './http-agent.js';

export interface PkcePair {
  verifier: string;
  challenge: string;
}

export function pkcePair(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(issuer: string, params: Record<string, string | undefined>): string {
  const url = new URL('/authorize', issuer);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  return url.toString();
}

/** Standard valid /authorize parameters for a client; override or remove (undefined) any of them. */
export function authorizeParams(clientId: string, redirectUri: string, pkce: PkcePair, extra: Record<string, string | undefined> = {}) {
  return {
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    state: 'st-' + randomBytes(6).toString('hex'),
    nonce: 'n-' + randomBytes(6).toString('hex'),
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
}

/** Opens the login page for a request and submits credentials; returns where the browser ends up. */
export async function logIn(agent: BrowserAgent, url: string, username: string, password: string) {
  const start = await agent.navigate(url);
  if (start.leftTo) return start;
  const page = await start.response.text();
  return agent.submit('/login', {
    csrf_token: hiddenField(page, 'csrf_token'),
    request_id: hiddenField(page, 'request_id'),
    username,
    password,
  });
}

/** Signs in and returns the code and state the redirect URI received. */
export async function obtainCode(agent: BrowserAgent, issuer: string, params: Record<string, string | undefined>, username: string, password: string) {
  const result = await logIn(agent, authorizeUrl(issuer, params), username, password);
  if (!result.leftTo) throw new Error(`sign-in did not return to the client (status ${result.response.status})`);
  const callback = new URL(result.leftTo);
  return { code: callback.searchParams.get('code')!, state: callback.searchParams.get('state'), callback };
}

export function basicAuth(clientId: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
}

export async function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}
