import type { Config } from '../../config.js';

/** What the device flow (RFC 8628) needs, built once at start-up (app.ts). */
export interface DeviceSettings {
  issuer: string;
  /** RFC 8628 3.2 `expires_in`: how long a device code and its user code live. */
  codeLifetimeSeconds: number;
  /** RFC 8628 3.2 `interval`: the least time between two polls (slow_down adds to it, per code). */
  pollIntervalSeconds: number;
  /** POST /device and GET /device?user_code= per minute and IP (RFC 8628 5.1); 0 turns it off. */
  entryPerMinute: number;
}

export function deviceSettings(config: Config): DeviceSettings {
  return {
    issuer: config.ISSUER,
    codeLifetimeSeconds: config.DEVICE_CODE_TTL,
    pollIntervalSeconds: config.DEVICE_POLL_INTERVAL,
    entryPerMinute: config.RATE_LIMIT_DEVICE,
  };
}
