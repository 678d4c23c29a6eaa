import type { Config } from '../config.js';

/**
 * Who Latchkey is to an authenticator (WebAuthn 5.1.2, 13.4.9): the RP ID is the issuer's host
 * name and assertions must come from the issuer's origin. Credentials are scoped to the RP ID,
 * so changing ISSUER's host orphans every registered passkey.
 */
export interface RelyingParty {
  id: string;
  origin: string;
  /** Shown by the authenticator beside the account name. */
  name: string;
}

export function relyingParty(config: Pick<Config, 'ISSUER'>): RelyingParty {
  const url = new URL(config.ISSUER);
  return { id: url.hostname, origin: url.origin, name: url.hostname };
}
