import type { Config } from '../config.js';
import { deriveSecret } from '../keys/derived-secret.js';
import type { LockoutPolicy } from './attempt-store.js';

/** What the password login needs, built once at start-up (app.ts). */
export interface SignInSettings {
  lockout: LockoutPolicy;
  /** HMAC key of the device cookies (login/device-token.ts). */
  deviceCookieKey: Buffer;
}

export function signInSettings(config: Config): SignInSettings {
  return {
    lockout: { threshold: config.LOGIN_LOCKOUT_THRESHOLD, durationSeconds: config.LOGIN_LOCKOUT_DURATION },
    deviceCookieKey: deriveSecret(config.KEY_ENCRYPTION_KEY, 'device-cookie'),
  };
}
