import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.js';
import { mintAccessTokenOffLoop } from '../../tokens/access-token.js';
import { mintIdTokenOffLoop } from '../../tokens/id-token.js';
import { addRefreshToken, recordAccessToken } from '../../tokens/grant-store.js';
import type { TokenContext } from '../../tokens/context.js';
import { userClaims, type ClaimsUser } from '../../users/claims.js';
import type { TokenResponse } from './response.js';

export interface UserTokenRequest {
  clientId: string;
  user: ClaimsUser;
  scopes: string[];
  audience: string;
  authTime: Date | null;
  /** How the user authenticated (RFC 8176), for the ID token's amr and acr. */
  amr: string[];
  sessionId: string | null;
  nonce?: string;
  /** A jti already stored with the grant (refresh rotation records it in its own statement). */
  jti?: string;
  /** The DPoP key the access token is bound to (RFC 9449 6.1); unbound when absent. */
  dpopJkt?: string | null;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Mints an access token and, when openid was granted, an ID token, off the event loop when it can. No storage. */
export async function mintUserTokens(context: TokenContext, input: UserTokenRequest): Promise<{ response: TokenResponse; jti: string; expiresAt: Date }> {
  const sid = input.sessionId ?? undefined;
  const authTime = input.authTime ? seconds(input.authTime) : undefined;
  const access = await mintAccessTokenOffLoop(context, {
    subject: input.user.id,
    audience: input.audience,
    clientId: input.clientId,
    scope: input.scopes,
    authTime,
    sid,
    jti: input.jti,
    ...(input.dpopJkt ? { jkt: input.dpopJkt } : {}),
  });
  const response: TokenResponse = {
    access_token: access.token,
    token_type: input.dpopJkt ? 'DPoP' : 'Bearer',
    expires_in: access.expiresAt - access.issuedAt,
    scope: input.scopes.join(' '),
  };
  if (input.scopes.includes('openid')) {
    const idToken = await mintIdTokenOffLoop(context, {
      subject: input.user.id,
      clientId: input.clientId,
      authTime: authTime ?? access.issuedAt,
      amr: input.amr,
      nonce: input.nonce,
      accessToken: access.token,
      sid,
      userClaims: userClaims(input.user, input.scopes),
    });
    response.id_token = idToken.token;
  }
  return { response, jti: access.jti, expiresAt: new Date(access.expiresAt * 1000) };
}

/**
 * What a new user grant yields: the tokens above, the access token's jti recorded under the
 * grant, and a refresh token when asked. Run inside the grant's transaction.
 */
export async function issueUserTokens(
  db: Kysely<Database>,
  context: TokenContext,
  input: UserTokenRequest & { grantId: string; withRefreshToken: boolean },
  now: Date,
): Promise<TokenResponse> {
  const { response, jti, expiresAt } = await mintUserTokens(context, input);
  await recordAccessToken(db, input.grantId, jti, expiresAt);
  if (input.withRefreshToken) response.refresh_token = await addRefreshToken(db, input.grantId, now);
  return response;
}
