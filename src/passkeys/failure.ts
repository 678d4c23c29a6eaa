/**
 * Why a passkey ceremony was refused. The reason goes into the audit event and the metric; the
 * browser gets one short message per group (failureMessage) and never learns whether a
 * credential id exists for someone else.
 */
export type PasskeyFailureReason =
  | 'malformed'
  | 'no_challenge'
  | 'challenge_mismatch'
  | 'wrong_type'
  | 'wrong_origin'
  | 'wrong_rp_id'
  | 'user_not_present'
  | 'user_not_verified'
  | 'unsupported_algorithm'
  | 'bad_signature'
  | 'unknown_credential'
  | 'wrong_user'
  | 'counter_regression'
  | 'user_disabled'
  | 'credential_exists'
  | 'too_many_passkeys';

export type PasskeyResult<T> = ({ ok: true } & T) | { ok: false; reason: PasskeyFailureReason };

/**
 * @simplewebauthn/server reports a failed check by throwing an Error with a message; this maps
 * the messages of the checks we distinguish to a reason. Anything else is a malformed response.
 */
export function reasonFromLibraryError(error: unknown): PasskeyFailureReason {
  const message = error instanceof Error ? error.message : '';
  if (/RP ID/i.test(message)) return 'wrong_rp_id';
  if (/challenge/i.test(message)) return 'challenge_mismatch';
  if (/origin/i.test(message)) return 'wrong_origin';
  if (/response type/i.test(message)) return 'wrong_type';
  if (/user verification/i.test(message)) return 'user_not_verified';
  if (/user (was )?not present|user presence/i.test(message)) return 'user_not_present';
  if (/public key alg/i.test(message)) return 'unsupported_algorithm';
  return 'malformed';
}

/** Which sentence of the catalogue (pages/messages, `passkeyErrors`) the page shows; the precise reason stays in the audit log. */
export type PasskeyFailureMessage = 'expired' | 'alreadyRegistered' | 'tooMany' | 'notVerified' | 'couldNotVerify';

export function failureMessage(reason: PasskeyFailureReason): PasskeyFailureMessage {
  switch (reason) {
    case 'no_challenge':
      return 'expired';
    case 'credential_exists':
      return 'alreadyRegistered';
    case 'too_many_passkeys':
      return 'tooMany';
    case 'user_not_verified':
      return 'notVerified';
    default:
      return 'couldNotVerify';
  }
}
