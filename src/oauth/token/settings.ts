import type { Config } from '../../config.js';

/** The settings the token endpoint, its grants, /revoke and /introspect use; built once from the configuration. */
export interface TokenEndpointSettings {
  issuer: string;
  /** Seconds. */
  accessTokenTtl: number;
  refreshIdleTtl: number;
  refreshAbsoluteTtl: number;
  /** Seconds in which the latest consumed refresh token may be replayed (0 = never). */
  refreshReuseGrace: number;
}

export function tokenEndpointSettings(config: Config): TokenEndpointSettings {
  return {
    issuer: config.ISSUER,
    accessTokenTtl: config.ACCESS_TOKEN_TTL,
    refreshIdleTtl: config.REFRESH_IDLE_TTL,
    refreshAbsoluteTtl: config.REFRESH_ABSOLUTE_TTL,
    refreshReuseGrace: config.REFRESH_REUSE_GRACE,
  };
}
