/**
 * How strongly a user authenticated: RFC 8176 method references (`amr`) and the level (`acr`)
 * they reach. The one place that maps the one to the other; ID tokens, the sign-in checks,
 * /account's freshness rule and discovery all read it.
 *
 * Levels (README "Second factors and passkeys"):
 * - urn:latchkey:loa:1: one factor (a password).
 * - urn:latchkey:loa:2: two factors (`mfa`), e.g. password and TOTP or a recovery code, or a
 *   passkey with user verification (which is possession plus a PIN or biometric in itself).
 */

/** RFC 8176 section 2 values Latchkey records. */
export const AMR = {
  password: 'pwd',
  /** A one-time password: TOTP or a recovery code. */
  oneTimePassword: 'otp',
  /** A hardware-bound key (a passkey that is not synced). */
  hardwareKey: 'hwk',
  /** A software-held key (a synced, backup-eligible passkey). */
  softwareKey: 'swk',
  /** More than one factor was used (or one that is two in itself, a user-verified passkey). */
  multiFactor: 'mfa',
} as const;

export const LOA_1 = 'urn:latchkey:loa:1';
export const LOA_2 = 'urn:latchkey:loa:2';
export type AssuranceLevel = typeof LOA_1 | typeof LOA_2;

/** Lowest first; discovery lists them as acr_values_supported. */
export const ASSURANCE_LEVELS: readonly AssuranceLevel[] = [LOA_1, LOA_2];

/** The level an authentication reaches: `mfa` is level 2, anything else level 1. */
export function acrFor(amr: readonly string[]): AssuranceLevel {
  return amr.includes(AMR.multiFactor) ? LOA_2 : LOA_1;
}

/** Whether `level` is at least `required`. */
export function meetsLevel(level: AssuranceLevel, required: AssuranceLevel): boolean {
  return ASSURANCE_LEVELS.indexOf(level) >= ASSURANCE_LEVELS.indexOf(required);
}

/**
 * The amr once a second factor is added to a session's: its values once each, in a stable order
 * (first factors first), and `mfa` whenever two distinct kinds of factor were used.
 */
export function withFactors(amr: readonly string[], added: readonly string[]): string[] {
  const all = new Set([...amr, ...added]);
  const order: string[] = [AMR.password, AMR.hardwareKey, AMR.softwareKey, AMR.oneTimePassword];
  const factors = order.filter((value) => all.has(value));
  const extra = [...all].filter((value) => !order.includes(value) && value !== AMR.multiFactor);
  const multi = all.has(AMR.multiFactor) || factors.length >= 2;
  return [...factors, ...extra, ...(multi ? [AMR.multiFactor] : [])];
}

/**
 * The level an /authorize request's acr_values demand (OIDC Core 3.1.2.1): the lowest level it
 * names that Latchkey knows, so a request that would accept level 1 is never forced higher;
 * undefined when it names none (unknown values are ignored, as the parameter is voluntary).
 */
export function demandedLevel(acrValues: readonly string[] | undefined): AssuranceLevel | undefined {
  if (!acrValues) return undefined;
  return ASSURANCE_LEVELS.find((level) => acrValues.includes(level));
}

/** Parses a stored amr column (JSON array, see migrations/0012); anything else reads as a password. */
export function storedAmr(value: unknown): string[] {
  const parsed = typeof value === 'string' ? safeParse(value) : value;
  if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed as string[];
  return [AMR.password];
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
