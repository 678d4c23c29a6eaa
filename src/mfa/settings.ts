import type { Config } from '../config.js';
import { KeyBox } from '../keys/crypto-box.js';

/** What second factors need, built once at start-up (app.ts, and the CLI). */
export interface SecondFactorSettings {
  /** Seals TOTP secrets under KEY_ENCRYPTION_KEY (its own HKDF purpose; mfa/totp-secret.ts). */
  secretBox: KeyBox;
  /** The issuer an authenticator app shows beside the account: the host of ISSUER. */
  totpIssuer: string;
  /** Wrong codes in a row that lock the account (LOGIN_LOCKOUT_THRESHOLD; 0: never), and for how long. */
  lockout: { threshold: number; durationSeconds: number };
}

export function secondFactorSettings(config: Config): SecondFactorSettings {
  return {
    secretBox: new KeyBox(config.KEY_ENCRYPTION_KEY, 'latchkey totp-secret encryption v1'),
    totpIssuer: new URL(config.ISSUER).host,
    lockout: { threshold: config.LOGIN_LOCKOUT_THRESHOLD, durationSeconds: config.LOGIN_LOCKOUT_DURATION },
  };
}
