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

/** Why `password` may not be set (the limit is the length it breaks), or undefined when it may. */
export type PasswordIssue = { kind: 'empty' | 'blank'; limit?: undefined } | { kind: 'too_short' | 'too_long'; limit: number };

export function newPasswordIssue(password: string, policy: PasswordPolicy): PasswordIssue | undefined {
  const length = [...password].length;
  if (length === 0) return { kind: 'empty' };
  if (password.trim().length === 0) return { kind: 'blank' };
  if (length < policy.minLength) return { kind: 'too_short', limit: policy.minLength };
  if (length > PASSWORD_MAX_LENGTH) return { kind: 'too_long', limit: PASSWORD_MAX_LENGTH };
  return undefined;
}

/**
 * Why `password` may not be set, as an English sentence for operators (CLI, admin API; no setting
 * names), or undefined when it may. /account says it in the reader's language (newPasswordUnusable).
 */
export function newPasswordProblem(password: string, policy: PasswordPolicy): string | undefined {
  const issue = newPasswordIssue(password, policy);
  if (!issue) return undefined;
  if (issue.kind === 'empty') return 'password must not be empty';
  if (issue.kind === 'blank') return 'password must not be only white space';
  return issue.kind === 'too_short' ? `password must be at least ${issue.limit} characters` : `password must be at most ${issue.limit} characters`;
}
