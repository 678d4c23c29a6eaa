import { isRegisteredRedirectUri } from '../../clients/redirect-match.js';
import type { ErrorKind } from '../../pages/error-page.js';
import type { Client } from '../../clients/store.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { Params } from '../../http/params.js';
import { resolveAudience } from '../audience.js';
import { isValidS256Challenge } from '../pkce.js';
import { formatScope, isSubset, parseScope } from '../scopes.js';
import { userGrantableScopes } from '../../clients/credentials.js';

/** An /authorize request that passed every check; safe to park and resume later. */
export interface ValidAuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /**
   * Whether the request named redirect_uri (it may be left out when exactly one is registered);
   * then the token request must repeat it (RFC 6749 4.1.3). Absent in requests parked before
   * this field existed: treated as true.
   */
  redirectUriGiven?: boolean;
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge: string;
  prompt: 'none' | 'login' | 'consent' | undefined;
  maxAge?: number;
  loginHint?: string;
  /** OIDC Core 3.1.2.1: the authentication levels asked for (users/assurance.ts). */
  acrValues?: string[];
  audience: string;
  /** RFC 9449 10: the thumbprint of the DPoP key the code is bound to. */
  dpopJkt?: string;
}

/** Errors shown as an HTML page because the redirect URI cannot be trusted (or is unknown). */
export class UntrustedRedirectError extends Error {
  override name = 'UntrustedRedirectError';
  /** The message is the operator's detail (logged); the person sees this page. */
  constructor(
    message: string,
    readonly page: ErrorKind,
  ) {
    super(message);
  }
}

/**
 * Step one: the client and the redirect URI. Until both are known good, nothing may be sent to
 * the redirect URI. Exact string comparison (no normalisation, no prefix, no case folding), but
 * for the port of a loopback-literal registration (see isRegisteredRedirectUri).
 */
export function resolveRedirectUri(params: Params, client: Client | undefined): string {
  if (!client) throw new UntrustedRedirectError('unknown client_id', 'unknownApplication');
  const requested = params.redirect_uri;
  if (requested === undefined) {
    if (client.redirectUris.length === 1 && client.redirectUris[0]) return client.redirectUris[0];
    throw new UntrustedRedirectError('no redirect_uri, and the client has several registered', 'badRequest');
  }
  if (!redirectUriRegistered(client, requested)) {
    throw new UntrustedRedirectError('the redirect_uri is not registered for the client', 'untrustedReturn');
  }
  return requested;
}

/**
 * Whether `redirectUri` is registered for the client (exact, but for the port of a loopback
 * literal: isRegisteredRedirectUri). The one place that answers it, at /authorize, on resuming a
 * parked request and at the code exchange.
 */
export function redirectUriRegistered(client: Pick<Client, 'redirectUris'>, redirectUri: string): boolean {
  return isRegisteredRedirectUri(client.redirectUris, redirectUri);
}

const MAX_STATE = 1024;
const MAX_NONCE = 512;
const MAX_ACR_VALUES = 512;

/** Step two: everything else. Each failure is redirected to the (now trusted) redirect URI. */
export function validateAuthorizationRequest(
  params: Params,
  client: Client,
  redirectUri: string,
  issuer: string,
): ValidAuthorizationRequest {
  const fail = (code: string, description: string) => new OAuthError(code, description);
  if (params.request !== undefined) throw fail('request_not_supported', 'request objects are not supported');
  if (params.request_uri !== undefined) throw fail('request_uri_not_supported', 'request_uri is not supported');
  if (params.response_type === undefined) throw fail('invalid_request', 'response_type is required');
  if (params.response_type !== 'code') throw fail('unsupported_response_type', 'only response_type=code is supported');
  if (params.response_mode !== undefined && params.response_mode !== 'query') {
    throw fail('invalid_request', 'only response_mode=query is supported');
  }
  if (!client.grantTypes.includes('authorization_code')) {
    throw fail('unauthorized_client', 'this client may not use the authorization code flow');
  }
  if (params.state !== undefined && params.state.length > MAX_STATE) throw fail('invalid_request', 'state is too long');

  if (params.code_challenge === undefined) throw fail('invalid_request', 'code_challenge is required (PKCE with S256)');
  if (params.code_challenge_method !== 'S256') {
    throw fail('invalid_request', 'code_challenge_method must be S256 (plain is not accepted)');
  }
  if (!isValidS256Challenge(params.code_challenge)) throw fail('invalid_request', 'code_challenge is malformed');

  const scopes = parseScope(params.scope);
  if (scopes.length === 0) throw fail('invalid_scope', 'scope is required');
  if (!isSubset(scopes, userGrantableScopes(client))) throw fail('invalid_scope', 'the requested scope is not allowed for this client');

  if (params.nonce !== undefined && params.nonce.length > MAX_NONCE) throw fail('invalid_request', 'nonce is too long');
  // RFC 7638 SHA-256 thumbprint: 32 bytes, base64url without padding.
  if (params.dpop_jkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(params.dpop_jkt)) throw fail('invalid_request', 'dpop_jkt must be a SHA-256 JWK thumbprint');

  let prompt: ValidAuthorizationRequest['prompt'];
  if (params.prompt !== undefined) {
    const prompts = params.prompt.split(' ').filter(Boolean);
    if (prompts.includes('none') && prompts.length > 1) throw fail('invalid_request', 'prompt=none cannot be combined with other values');
    const supported = prompts.filter((p) => p === 'none' || p === 'login' || p === 'consent');
    if (supported.length !== prompts.length) throw fail('invalid_request', 'prompt may be none, login or consent');
    prompt = supported.includes('login') ? 'login' : supported.includes('consent') ? 'consent' : (supported[0] as 'none' | undefined);
  }

  let maxAge: number | undefined;
  if (params.max_age !== undefined) {
    if (!/^\d{1,9}$/.test(params.max_age)) throw fail('invalid_request', 'max_age must be a non-negative integer');
    maxAge = Number(params.max_age);
  }

  let acrValues: string[] | undefined;
  if (params.acr_values !== undefined) {
    if (params.acr_values.length > MAX_ACR_VALUES) throw fail('invalid_request', 'acr_values is too long');
    acrValues = params.acr_values.split(' ').filter(Boolean);
  }

  const audience = resolveAudience(client, issuer, params.resource);

  return {
    clientId: client.clientId,
    redirectUri,
    redirectUriGiven: params.redirect_uri !== undefined,
    scope: formatScope(scopes),
    state: params.state,
    nonce: params.nonce,
    codeChallenge: params.code_challenge,
    prompt,
    maxAge,
    loginHint: params.login_hint?.slice(0, 256),
    ...(acrValues && acrValues.length ? { acrValues } : {}),
    audience,
    ...(params.dpop_jkt !== undefined ? { dpopJkt: params.dpop_jkt } : {}),
  };
}

/** The redirect that carries an authorization response (RFC 6749 4.1.2, RFC 9207 iss). */
export function authorizationResponseUrl(redirectUri: string, issuer: string, values: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(values)) if (value !== undefined) url.searchParams.append(name, value);
  url.searchParams.append('iss', issuer);
  return url.toString();
}
