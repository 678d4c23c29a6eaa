import type { SessionLifetimes } from '../browser/session-store.js';
import type { Config } from '../config.js';
import { deriveSecret } from '../keys/derived-secret.js';
import { relyingParty, type RelyingParty } from '../passkeys/relying-party.js';
import { secondFactorSettings, type SecondFactorSettings } from '../mfa/settings.js';
import type { LockoutPolicy } from './attempt-store.js';

/** What browser sign-in needs, built once at start-up (app.ts). */
export interface SignInSettings {
  issuer: string;
  lockout: LockoutPolicy;
  /** HMAC key of the device cookies (login/device-token.ts). */
  deviceCookieKey: Buffer;
  sessionLifetimes: SessionLifetimes;
  /** Requests per minute and IP (and per username for the login form); 0 turns a limit off. */
  rateLimits: { loginPerMinute: number; authorizePerMinute: number };
  /** WebAuthn relying party: RP ID and origin from ISSUER. */
  rp: RelyingParty;
  /** TOTP secrets' key, the issuer name apps show, the lockout for wrong codes (mfa/settings.ts). */
  secondFactors: SecondFactorSettings;
  /** REQUIRE_PAR (RFC 9126 5). */
  requirePar: boolean;
}

export function signInSettings(config: Config): SignInSettings {
  return {
    issuer: config.ISSUER,
    lockout: { threshold: config.LOGIN_LOCKOUT_THRESHOLD, durationSeconds: config.LOGIN_LOCKOUT_DURATION },
    deviceCookieKey: deriveSecret(config.KEY_ENCRYPTION_KEY, 'device-cookie'),
    sessionLifetimes: { idleSeconds: config.SESSION_IDLE_TTL, absoluteSeconds: config.SESSION_ABSOLUTE_TTL },
    rateLimits: { loginPerMinute: config.RATE_LIMIT_LOGIN, authorizePerMinute: config.RATE_LIMIT_AUTHORIZE },
    rp: relyingParty(config),
    secondFactors: secondFactorSettings(config),
    requirePar: config.REQUIRE_PAR === 'true',
  };
}
