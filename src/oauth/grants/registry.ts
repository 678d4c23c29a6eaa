import type { GrantType } from '../../clients/grant-types.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { deviceCodeGrant } from './device-code.js';
import type { Grant } from './grant.js';
import { refreshTokenGrant } from './refresh-token.js';

/**
 * Every grant /token serves, in the order discovery lists them. A new grant is one file in this
 * folder, one line here, and its name with its client rules in src/clients/grant-types.ts (the
 * check below fails to compile until the two lists agree).
 */
export const GRANTS = [authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant, deviceCodeGrant] as const satisfies readonly Grant[];

type Registered = (typeof GRANTS)[number]['type'];
/** Compile-time: every registered grant has a name in clients/grant-types.ts and every name a grant. */
const registryMatchesNames: [Registered] extends [GrantType] ? ([GrantType] extends [Registered] ? true : never) : never = true;
void registryMatchesNames;

const byType = new Map<string, Grant>(GRANTS.map((grant) => [grant.type, grant]));

/** The grant for a grant_type value; undefined when /token does not serve it. */
export function grantFor(grantType: string): Grant | undefined {
  return byType.get(grantType);
}

export const GRANT_TYPES_SUPPORTED: readonly GrantType[] = GRANTS.map((grant) => grant.type);
