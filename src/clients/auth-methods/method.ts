import type { Params } from '../../http/params.js';

/** What a request to /token, /revoke or /introspect presents to authenticate its client. */
export interface PresentedCredentials {
  authorization: string | undefined;
  params: Params;
}

/** The stored credentials a method checks against (never shown to anyone). */
export interface StoredCredentials {
  secretHash: string | null;
  previousSecretHash: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * One client authentication method (RFC 7591 2 `token_endpoint_auth_method`), as a value: the
 * registry lists them, discovery and client validation read the registry, and the method a
 * client registered is the only one it may use (see ../authenticate.ts).
 */
export interface ClientAuthMethod<Name extends string = string> {
  /** The RFC 7591 / IANA "OAuth Token Endpoint Authentication Methods" name. */
  readonly name: Name;
  /** Which clients may register it: confidential clients hold a credential, public ones do not. */
  readonly clientType: 'confidential' | 'public';
  /** Whether the method reads the Authorization header (then a failure answers a challenge, RFC 6749 5.2). */
  readonly usesAuthorizationHeader: boolean;
  /** Whether the request carries this method's credentials. */
  detect(presented: PresentedCredentials): boolean;
  /** The client id the credentials name; undefined when they are malformed or contradict each other. */
  clientId(presented: PresentedCredentials): string | undefined;
  /** Whether the credentials prove they come from the client with these stored credentials. */
  verify(stored: StoredCredentials, presented: PresentedCredentials, now: Date): boolean;
}
