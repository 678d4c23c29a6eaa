/**
 * The one username normalisation, shared by user creation, login and the per-username rate
 * limit so that they cannot disagree. NFKC first (so the Kelvin sign is K and fullwidth ｋ is k,
 * as RFC 8265's width and compatibility mapping would have it), then the ASCII pattern; names
 * are then compared without case. Lower-casing ASCII is the same in JavaScript and in Postgres'
 * lower(), which the unique index users_username_lower_key uses.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9._@+-]{1,64}$/;

export const USERNAME_RULE = 'username must be 1-64 characters of letters, digits and . _ @ + -';

/** The form a username is stored and shown in (before the pattern check). */
export function foldUsername(raw: string): string {
  return raw.normalize('NFKC').trim();
}

/** The key a username is looked up and kept unique by; undefined when user creation would refuse the name. */
export function usernameKey(raw: string): string | undefined {
  const folded = foldUsername(raw);
  return USERNAME_PATTERN.test(folded) ? folded.toLowerCase() : undefined;
}
