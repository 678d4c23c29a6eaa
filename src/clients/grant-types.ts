/** What a grant asks of the clients registered for it (checked when a client is created or changed). */
export interface GrantClientRules {
  /** Only a client that can authenticate (has a secret) may use it. */
  readonly confidentialOnly?: boolean;
  /** The grant sends the browser back to the client, so the client needs a redirect URI. */
  readonly needsRedirectUri?: boolean;
  /** The grant's access tokens are meant for APIs (not only Latchkey's own endpoints): warn when the client has no audience. */
  readonly issuesApiTokens?: boolean;
}

/**
 * The grant types a client may be registered for, with what each asks of the client: exactly
 * the grants /token serves. src/oauth/grants/registry.ts does not compile unless the two lists
 * agree. Kept apart from the grant handlers so that client validation, the CLI help and the
 * metrics labels can read the names without loading token issuance (and without an import cycle:
 * the grants themselves read clients).
 */
export const GRANT_TYPE_RULES = {
  authorization_code: { needsRedirectUri: true, issuesApiTokens: true },
  refresh_token: {},
  client_credentials: { confidentialOnly: true, issuesApiTokens: true },
  'urn:ietf:params:oauth:grant-type:device_code': { issuesApiTokens: true },
} as const satisfies Record<string, GrantClientRules>;

export type GrantType = keyof typeof GRANT_TYPE_RULES;

export const GRANT_TYPES = Object.keys(GRANT_TYPE_RULES) as GrantType[];

export function isGrantType(value: string): value is GrantType {
  return Object.hasOwn(GRANT_TYPE_RULES, value);
}

export function grantRules(grantType: GrantType): GrantClientRules {
  return GRANT_TYPE_RULES[grantType];
}
