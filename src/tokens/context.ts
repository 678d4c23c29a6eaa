import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { KeyRing } from '../keys/ring.js';
import { passwordHashing } from '../users/password.js';

/** What minting and verifying Latchkey's tokens need: the ring, the time, and the settings. */
export interface TokenContext {
  ring: KeyRing;
  clock: Clock;
  issuer: string;
  accessTokenTtlSeconds: number;
  idTokenTtlSeconds: number;
  clockToleranceSeconds: number;
  /** Whether libuv's pool has room for a signature now (mintAccessTokenOffLoop): no password is being hashed. Absent: never. */
  poolHasRoom?: () => boolean;
}

export function tokenContext(ring: KeyRing, config: Config, clock: Clock): TokenContext {
  return {
    ring,
    clock,
    issuer: config.ISSUER,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL,
    idTokenTtlSeconds: config.ID_TOKEN_TTL,
    clockToleranceSeconds: config.CLOCK_TOLERANCE,
    // The pool's threads are argon2's (src/bin.cts sizes it to PASSWORD_HASH_CONCURRENCY) and run
    // at PASSWORD_HASH_NICE: only while no password is being hashed do they have room, and then
    // at full speed (measured: offloading beside running hashes raised /token's p99 in the flood).
    poolHasRoom: () => passwordHashing().isIdle(),
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
