import type { FastifyReply } from 'fastify';
import type { Client } from '../../clients/store.js';
import { sendErrorPage } from '../../pages/error-page.js';
import { finalStep } from './final-step.js';
import type { SignInRequest } from './prompt.js';
import { deletePendingRequest } from './request-store.js';

/**
 * Signing in for Latchkey's own pages (/account): the same loop as an application's sign-in (the
 * password, the second factor, max_age for a fresh sign-in), parked under this kind; its final
 * step sends the browser back to the /account page that asked.
 */
export const ACCOUNT_KIND = 'latchkey_account';

/** No registered client has it: generated client ids are 22 characters of base64url. */
export const ACCOUNT_CLIENT_ID = 'latchkey-account';

export interface AccountSignInRequest extends SignInRequest {
  /** The /account path to return to, chosen by the server (never by the browser). */
  returnTo: string;
}

/** /account, /account/..., with a query of plain ids only: the final step never redirects anywhere else. */
const ACCOUNT_PATH = /^\/account(\/[a-z0-9-]+)*(\?[A-Za-z0-9_=&-]{0,200})?$/;

export function isAccountPath(path: string): boolean {
  return ACCOUNT_PATH.test(path);
}

/** What the loop's checks and pages see as "the application": Latchkey itself, first-party. */
const accountClient: Client = {
  clientId: ACCOUNT_CLIENT_ID,
  name: 'your account',
  type: 'public',
  redirectUris: [],
  postLogoutRedirectUris: [],
  grantTypes: [],
  tokenEndpointAuthMethod: 'none',
  scopes: ['openid'],
  origins: [],
  resources: [],
  defaultAudience: null,
  refreshCookie: false,
  thirdParty: false,
  alwaysIssueRefresh: false,
  requireMfa: false,
  dpopBoundAccessTokens: false,
  jwksUri: null,
  jwks: null,
  requirePushedAuthorizationRequests: false,
  admin: false,
  secretHash: null,
  previousSecretHash: null,
  previousSecretExpiresAt: null,
  credentialsChangedAt: new Date(0),
  createdAt: new Date(0),
};

export function accountSignInRequest(returnTo: string, options: { maxAge?: number } = {}): AccountSignInRequest {
  return { clientId: ACCOUNT_CLIENT_ID, scope: 'openid', returnTo, ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}) };
}

function refuse(_deps: unknown, _request: AccountSignInRequest, refusal: { redirectable: boolean; description?: string; message?: string }, reply: FastifyReply): FastifyReply {
  return sendErrorPage(reply, 400, 'badRequest', { detail: refusal.description ?? refusal.message ?? 'account sign-in refused' });
}

export const accountReturn = finalStep<AccountSignInRequest>({
  kind: ACCOUNT_KIND,
  builtInClient: accountClient,
  recheck: (request) => ({ ok: true, request }),
  formActionTarget: () => undefined,
  refuse,
  async complete(deps, { request, pendingId }, reply) {
    if (pendingId && !(await deletePendingRequest(deps.db, pendingId))) return sendErrorPage(reply, 400, 'expired', { detail: 'account sign-in request expired or unknown' });
    return reply.redirect(isAccountPath(request.returnTo) ? request.returnTo : '/account', 303);
  },
});
