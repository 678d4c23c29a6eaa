import type { JWTVerifyGetKey } from 'jose';
import type { JsonWebKeySetValue } from '../../db/types.js';

/**
 * The asymmetric JWS algorithms a client assertion may use (RFC 7518 3.1, RFC 8037). Never `none`,
 * never HMAC: a client_secret_jwt assertion (HS256 keyed with a secret the server also holds) is a
 * different method, which Latchkey does not offer.
 */
export const CLIENT_ASSERTION_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'] as const;

/** RFC 7523 3 item 4: an assertion lives at most this long (exp − iat, or exp − now without iat). */
export const CLIENT_ASSERTION_MAX_LIFETIME_SECONDS = 300;

/** Whose keys: the part of a client's stored credentials that names its keys. */
export interface KeyOwner {
  clientId: string;
  jwksUri: string | null;
  jwks: JsonWebKeySetValue | null;
}

/** A client's public keys, as jose's key resolver; `refreshed` asks for a re-fetch (an unknown kid). */
export interface ClientKeyResolver {
  /** The client's current key set (inline, or fetched and cached). Throws ClientKeysUnavailable. */
  keySet(client: KeyOwner, now: Date): Promise<JWTVerifyGetKey>;
  /**
   * After no key matched: the key set fetched again, or undefined when the client's keys are
   * inline or its jwks_uri was fetched too recently (at most once a minute per client).
   */
  refreshed(client: KeyOwner, now: Date): Promise<JWTVerifyGetKey | undefined>;
}

/** The client's keys could not be fetched or are unusable (the reason goes to the log, not to the caller). */
export class ClientKeysUnavailable extends Error {
  override name = 'ClientKeysUnavailable';
}

/** What verifying a private_key_jwt assertion needs besides the request (built once in app.ts). */
export interface ClientAssertionChecks {
  issuer: string;
  tokenEndpoint: string;
  /** Seconds of leeway for exp, nbf and iat (CLOCK_TOLERANCE). */
  clockToleranceSeconds: number;
  keys: ClientKeyResolver;
  /**
   * Records the assertion's jti for this client until `expiresAt`; false when it was recorded
   * already (a replay). One atomic statement: of two concurrent uses, one wins.
   */
  consumeJti(clientId: string, jti: string, expiresAt: Date): Promise<boolean>;
}
