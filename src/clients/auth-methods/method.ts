import type { Params } from '../../http/params.js';
import type { ClientAssertionChecks, KeyOwner } from './assertion-checks.js';

/** What a request to a client-authenticated endpoint presents to authenticate its client. */
export interface PresentedCredentials {
  readonly authorization: string | undefined;
  readonly params: Params;
}

/** The stored credentials a method checks against (never shown to anyone). */
export interface StoredCredentials extends KeyOwner {
  secretHash: string | null;
  previousSecretHash: string | null;
  previousSecretExpiresAt: Date | null;
}

/** What a method may need beyond the request: the time, which endpoint was called, the assertion checks' state. */
export interface VerificationContext {
  now: Date;
  /** The absolute URL of the endpoint called (RFC 9126 2: an assertion may name /par as its audience). */
  endpointUrl: string;
  assertions: ClientAssertionChecks;
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
  /** What the client holds: a secret Latchkey issues (and rotates), its own key pair, or nothing. */
  readonly credential: 'secret' | 'key' | 'none';
  /** Whether the method reads the Authorization header (then a failure answers a challenge, RFC 6749 5.2). */
  readonly usesAuthorizationHeader: boolean;
  /** Whether the request carries this method's credentials. */
  detect(presented: PresentedCredentials): boolean;
  /** The client id the credentials name; undefined when they are malformed or contradict each other. */
  clientId(presented: PresentedCredentials): string | undefined;
  /**
   * Whether the credentials prove they come from the client with these stored credentials. A
   * method may instead throw an invalid_client OAuthError that says what was wrong with them
   * (private_key_jwt: an expired or replayed assertion), never whether the client exists.
   */
  verify(stored: StoredCredentials, presented: PresentedCredentials, context: VerificationContext): boolean | Promise<boolean>;
}
