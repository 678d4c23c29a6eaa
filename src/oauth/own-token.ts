import { decodeJwt, type JWTPayload } from 'jose';
import { ACCESS_TOKEN_TYP } from '../tokens/access-token.js';
import type { TokenContext } from '../tokens/context.js';
import { verifyToken } from '../tokens/verify.js';

/**
 * Verifies one of our access tokens whatever its audience (revocation and introspection serve
 * every resource server): signature, kid, alg, typ, iss, exp, nbf and iat are all checked.
 * Undefined when it is not a valid, unexpired Latchkey access token.
 */
export async function verifyOwnAccessToken(context: TokenContext, token: string): Promise<JWTPayload | undefined> {
  let audience: unknown;
  try {
    audience = decodeJwt(token).aud;
  } catch {
    return undefined;
  }
  const audiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience.filter((a): a is string => typeof a === 'string') : [];
  if (audiences.length === 0) return undefined;
  try {
    const { payload } = await verifyToken(context, token, { typ: ACCESS_TOKEN_TYP, audience: audiences, requiredClaims: ['jti', 'client_id'] });
    return payload;
  } catch {
    return undefined;
  }
}
