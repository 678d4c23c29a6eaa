import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 as authenticator apps expect it: SHA-1, 6 digits, 30 s steps; a code of the step
 * before or after the current one is accepted too (RFC 6238 5.2, for clock drift and typing time).
 * The arithmetic is otpauth's; this module only fixes the parameters.
 */
const PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
const WINDOW = 1;
/** RFC 4226 4: at least 128 bits; 160 (the SHA-1 block's natural size) as most apps generate. */
const SECRET_BYTES = 20;

/** A new random secret, base32 (as the otpauth URI and manual entry carry it). */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The otpauth:// URI an authenticator app scans (Key Uri Format). */
export function totpUri(secretBase32: string, issuer: string, accountName: string): string {
  return new TOTP({ ...PARAMETERS, issuer, label: accountName, secret: Secret.fromBase32(secretBase32) }).toString();
}

/** Six digits, once spaces are taken out: anything else is never a TOTP code. */
export function looksLikeTotpCode(value: string): boolean {
  return /^\d{6}$/.test(value);
}

/**
 * The time step whose code `code` is, within the window around `now`; undefined when it is none
 * of them. The caller accepts each step once (users/totp-store.ts consumeTotpStep).
 */
export function matchingTotpStep(secretBase32: string, code: string, now: Date): number | undefined {
  if (!looksLikeTotpCode(code)) return undefined;
  const secret = Secret.fromBase32(secretBase32);
  const timestamp = now.getTime();
  const delta = TOTP.validate({ ...PARAMETERS, token: code, secret, timestamp, window: WINDOW });
  if (delta === null) return undefined;
  return TOTP.counter({ period: PARAMETERS.period, timestamp }) + delta;
}
