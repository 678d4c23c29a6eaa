import * as oauth from 'oauth4webapi';
import { expect } from 'vitest';
import { BrowserAgent } from './http-agent.js';
import { authorizeUrl, logIn } from './flow.js';

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function discover(issuerUrl: string): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(issuerUrl);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
}

/** Pushes an authorization request (RFC 9126) through oauth4webapi; returns the request_uri. */
export async function push(as: oauth.AuthorizationServer, client: oauth.Client, auth: oauth.ClientAuth, params: Record<string, string>): Promise<string> {
  const response = await oauth.pushedAuthorizationRequest(as, client, auth, new URLSearchParams(params), insecure);
  const result = await oauth.processPushedAuthorizationResponse(as, client, response);
  expect(result.expires_in).toBe(60);
  expect(result.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
  return result.request_uri;
}

/**
 * The whole code flow as an app runs it with oauth4webapi: the authorization request (pushed
 * when `par`), the user signing in, the code exchange, a refresh and /userinfo, each with `auth`.
 */
export async function codeFlowWithRefreshAndUserinfo(
  issuerUrl: string,
  client: oauth.Client,
  auth: oauth.ClientAuth,
  options: { redirectUri: string; username: string; password: string; par: boolean },
) {
  const as = await discover(issuerUrl);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const params = {
    client_id: client.client_id,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: 'openid profile offline_access',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  };
  const url = options.par ? authorizeUrl(issuerUrl, { client_id: client.client_id, request_uri: await push(as, client, auth, params) }) : authorizeUrl(issuerUrl, params);
  const signedIn = await logIn(new BrowserAgent(issuerUrl), url, options.username, options.password);
  if (!signedIn.leftTo) throw new Error(`sign-in did not return to the client (status ${signedIn.response.status}): ${await signedIn.response.text()}`);
  const callback = oauth.validateAuthResponse(as, client, new URL(signedIn.leftTo), state);
  const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, auth, callback, options.redirectUri, verifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: nonce, requireIdToken: true });
  const claims = oauth.getValidatedIdTokenClaims(tokens)!;
  const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure));
  const userinfo = await oauth.processUserInfoResponse(as, client, claims.sub, await oauth.userInfoRequest(as, client, refreshed.access_token, insecure));
  return { as, tokens, refreshed, claims, userinfo };
}
