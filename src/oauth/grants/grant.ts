import type { FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/record.js';
import type { AuthenticatedClient } from '../../clients/authenticate.js';
import type { GrantType } from '../../clients/grant-types.js';
import type { Params } from '../../http/params.js';
import type { OAuthDeps } from '../deps.js';
import type { TokenResponse } from '../token/response.js';
import type { TokenEndpointSettings } from '../token/settings.js';

/** Where a token request came from, for the grant record and the audit trail. */
export interface RequestOrigin {
  ip?: string;
  userAgent?: string;
  /** The request's logger, for the audit log lines. */
  log?: AuditLog;
}

/** What a grant gets once /token has parsed the request and authenticated the client. */
export interface GrantContext {
  deps: OAuthDeps;
  settings: TokenEndpointSettings;
  /** The client, authenticated by its registered method and allowed this grant type. */
  caller: AuthenticatedClient;
  /** Only the parameters the grant declared (everything else in the body is not its business). */
  params: Params;
  origin: RequestOrigin;
  /** The RFC 7638 thumbprint of the key a valid DPoP proof used (RFC 9449 5): the tokens are bound to it. Null without a proof. */
  dpopJkt: string | null;
  /** For what is not a form parameter (the SPA refresh cookie). */
  request: FastifyRequest;
}

/**
 * One grant type of /token (RFC 6749 4, 6 and extensions), as node-oidc-provider's
 * lib/actions/grants/*.js: its grant_type value, the parameters it reads, and the handler.
 * Registered in ./registry.ts; discovery, client validation, the CLI help and the metrics
 * labels follow from there.
 */
export interface Grant<Type extends GrantType = GrantType> {
  readonly type: Type;
  /** The form parameters the handler reads, besides grant_type and client authentication. */
  readonly parameters: readonly string[];
  /** Issues tokens, or throws an OAuthError (invalid_grant, invalid_scope, ...). */
  handle(context: GrantContext): Promise<TokenResponse>;
}
