/**
 * The one error type that leaves the server. `code` is an RFC 6749 / 6750 / 7009 / 7662 error code;
 * the description is safe to show to the caller (never a stack, never whether a user exists).
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly code: string,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
    /** More members for the JSON body (e.g. field-level validation problems). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${code}: ${description}`);
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, error_description: this.description, ...this.extra };
  }
}
