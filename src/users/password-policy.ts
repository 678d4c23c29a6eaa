/**
 * The rule for a password being set (user create, the admin API's create/patch, a user changing
 * their own): NIST SP 800-63B 5.1.1.2 — a minimum length (PASSWORD_MIN_LENGTH, 8 by default),
 * every printable character and space allowed, no composition rules, at least 64 characters
 * accepted. The maximum bounds the work an attacker can make argon2 do per request.
 *
 * Login never applies this rule: a password set before the minimum was raised must still sign in.
 */

/** Characters (Unicode code points, as NIST counts them). 1024 code points are at most 4 KiB of UTF-8. */
export const PASSWORD_MAX_LENGTH = 1024;

/** NIST SP 800-63B's floor for a memorised secret chosen by the user. */
export const DEFAULT_PASSWORD_MIN_LENGTH = 8;

export interface PasswordPolicy {
  /** PASSWORD_MIN_LENGTH. */
  minLength: number;
}

/**
 * Why `password` may not be set, as a sentence for the person choosing it (no setting names:
 * end users read it on /account), or undefined when it may.
 */
export function newPasswordProblem(password: string, policy: PasswordPolicy): string | undefined {
  const length = [...password].length;
  if (length === 0) return 'password must not be empty';
  if (password.trim().length === 0) return 'password must not be only white space';
  if (length < policy.minLength) return `password must be at least ${policy.minLength} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}
