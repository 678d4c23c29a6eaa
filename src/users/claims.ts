import type { PublicUser } from './store.js';

/** What the claims of a user are made of. */
export type ClaimsUser = Pick<PublicUser, 'id' | 'username' | 'name' | 'email' | 'email_verified' | 'updated_at'>;

/** OIDC standard claims released by each granted scope (OIDC Core 5.4). */
export function userClaims(user: ClaimsUser, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    claims.preferred_username = user.username;
    if (user.name) claims.name = user.name;
    claims.updated_at = Math.floor(new Date(user.updated_at).getTime() / 1000);
  }
  if (scopes.includes('email') && user.email) {
    claims.email = user.email;
    claims.email_verified = user.email_verified;
  }
  return claims;
}
