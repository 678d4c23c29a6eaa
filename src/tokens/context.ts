import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { KeyRing } from '../keys/ring.js';

/** What minting and verifying Latchkey's tokens need: the ring, the time, and the settings. */
export interface TokenContext {
  ring: KeyRing;
  clock: Clock;
  issuer: string;
  accessTokenTtlSeconds: number;
  idTokenTtlSeconds: number;
  clockToleranceSeconds: number;
}

export function tokenContext(ring: KeyRing, config: Config, clock: Clock): TokenContext {
  return {
    ring,
    clock,
    issuer: config.ISSUER,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL,
    idTokenTtlSeconds: config.ID_TOKEN_TTL,
    clockToleranceSeconds: config.CLOCK_TOLERANCE,
  };
}

export interface MintedToken {
  token: string;
  jti: string;
  kid: string;
  /** NumericDate (seconds). */
  issuedAt: number;
  expiresAt: number;
}
