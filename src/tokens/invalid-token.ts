export type InvalidTokenReason =
  | 'malformed'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'alg_mismatch'
  | 'bad_signature'
  | 'expired'
  | 'claim_invalid';

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  constructor(
    readonly reason: InvalidTokenReason,
    /** The claim (or typ) that failed, for claim_invalid and expired. */
    readonly claim?: string,
  ) {
    super(claim ? `${reason}: ${claim}` : reason);
  }
}
