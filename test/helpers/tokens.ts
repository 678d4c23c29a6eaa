import { expect } from 'vitest';
import { BrowserAgent } from './http-agent.js';
import { authorizeParams, basicAuth, obtainCode, pkcePair, postForm } from './flow.js';

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope: string;
  expires_in: number;
  refresh_expires_in?: number;
}

export interface ClientCredentials {
  clientId: string;
  secret?: string;
}

/** Logs a user in through the real pages and exchanges the code: a fresh refresh family. */
export async function loginTokens(issuer: string, client: ClientCredentials, redirectUri: string, username: string, password: string, scope = 'openid profile offline_access'): Promise<TokenSet> {
  const pkce = pkcePair();
  const { code } = await obtainCode(new BrowserAgent(issuer), issuer, authorizeParams(client.clientId, redirectUri, pkce, { scope }), username, password);
  const fields: Record<string, string> = { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: redirectUri };
  if (!client.secret) fields.client_id = client.clientId;
  const response = await postForm(`${issuer}/token`, fields, clientAuth(client));
  if (response.status !== 200) throw new Error(`code exchange failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as TokenSet;
}

export function clientAuth(client: ClientCredentials): Record<string, string> {
  return client.secret ? { authorization: basicAuth(client.clientId, client.secret) } : {};
}

export function refresh(issuer: string, client: ClientCredentials, refreshToken: string, extra: Record<string, string> = {}) {
  const fields: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra };
  if (!client.secret) fields.client_id = client.clientId;
  return postForm(`${issuer}/token`, fields, clientAuth(client));
}

export async function introspect(issuer: string, caller: ClientCredentials, token: string): Promise<Record<string, unknown>> {
  const response = await postForm(`${issuer}/introspect`, { token }, clientAuth(caller));
  if (response.status !== 200) throw new Error(`introspection failed: ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** The token set of a 200 response (the body is shown when the status is not). */
export async function tokensOf(response: Response): Promise<TokenSet> {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as TokenSet;
}

export async function expectInvalidGrant(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
}
