import type { AuditLog } from '../audit/record.js';
import { recordAudit } from '../audit/record.js';
import type { AuditWriter } from '../audit/group-writer.js';
import type { Database } from '../db/types.js';
import type { Kysely } from 'kysely';
import { withTransaction } from '../db/transaction.js';
import { AMR } from '../users/assurance.js';
import { findUserById } from '../users/store.js';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { authenticationOptions, parseAssertion, userHandleBase64url, verifyAssertion } from './ceremony.js';
import { consumeChallenge, saveChallenge, type ChallengePurpose } from './challenge-store.js';
import type { PasskeyFailureReason, PasskeyResult } from './failure.js';
import type { RelyingParty } from './relying-party.js';
import { findPasskeyByCredentialId, listPasskeys, recordPasskeyUse, type Passkey } from '../users/passkey-store.js';

export interface AssertionInput {
  /** The browser's challenge cookie value (challenge-cookie.ts). */
  cookieValue: string | undefined;
  purpose: Extract<ChallengePurpose, 'sign_in' | 'second_factor'>;
  /** The JSON from @simplewebauthn/browser's startAuthentication. */
  response: unknown;
  clientId: string | null;
  ip: string;
  now: Date;
}

export interface AssertionDeps {
  db: Kysely<Database>;
  audit: AuditWriter;
  rp: RelyingParty;
}

/** A user-verified assertion: who signed in, with which passkey, synced or not. */
export interface VerifiedPasskey {
  userId: string;
  passkey: Passkey;
  /** The BS flag of this assertion (a synced passkey); amr `swk` rather than `hwk` when the credential is backup-eligible. */
  backedUp: boolean;
}

/**
 * WebAuthn 7.2 for a sign-in (passwordless, or the second factor after a password): takes the
 * browser's challenge once, finds the credential, checks it belongs to the user the ceremony was
 * for (the second factor's challenge names the user who gave the password), verifies the
 * assertion, then moves the signature counter forwards atomically. Every refusal is audited
 * (`passkey_failed` with its reason); a counter that did not grow is audited as a possible clone.
 */
export async function verifyPasskeySignIn(deps: AssertionDeps, log: AuditLog, input: AssertionInput): Promise<PasskeyResult<VerifiedPasskey>> {
  const refuse = async (reason: PasskeyFailureReason, context: { userId?: string | null; passkey?: Passkey } = {}) => {
    const details: Record<string, string | boolean> = { reason, step: input.purpose };
    if (context.passkey) details.passkeyId = context.passkey.id;
    if (reason === 'counter_regression') details.possibleClone = true;
    await deps.audit.record(log, { type: 'passkey_failed', userId: context.userId ?? context.passkey?.userId ?? null, clientId: input.clientId, ip: input.ip, details });
    return { ok: false as const, reason };
  };

  // The challenge goes first, whatever follows: a refused attempt has used it up.
  const challenge = await consumeChallenge(deps.db, input.cookieValue, input.purpose, input.now);
  if (!challenge) return refuse('no_challenge');
  const response = parseAssertion(input.response);
  if (!response) return refuse('malformed', { userId: challenge.userId });
  const passkey = await findPasskeyByCredentialId(deps.db, response.id);
  if (!passkey) return refuse('unknown_credential', { userId: challenge.userId });
  // A second factor must be the passkey of the user who gave the password (never someone else's).
  if (challenge.userId !== null && passkey.userId !== challenge.userId) return refuse('wrong_user', { userId: challenge.userId, passkey });
  // WebAuthn 7.2 step 6: the user handle, when the authenticator returns one, names the same account.
  if (response.response.userHandle !== undefined && response.response.userHandle !== userHandleBase64url(passkey.userId)) {
    return refuse('wrong_user', { passkey });
  }
  const verified = await verifyAssertion(deps.rp, { response, expectedChallenge: challenge.challenge, passkey });
  if (!verified.ok) return refuse(verified.reason, { passkey });
  const user = await findUserById(deps.db, passkey.userId);
  if (!user || user.disabled) return refuse('user_disabled', { passkey });

  // Step 21, after the signature: a counter that is not above the stored one (unless both are 0,
  // as synced passkeys report) means two copies of the key exist. The UPDATE checks it again, so
  // two assertions racing with the same counter cannot both pass.
  const counterMoved = await withTransaction(deps.db, async (trx) => {
    const moved = await recordPasskeyUse(trx, { id: passkey.id, signCount: verified.signCount, backedUp: verified.backedUp, now: input.now });
    if (moved) {
      await recordAudit(trx, log, {
        type: 'passkey_used',
        userId: passkey.userId,
        clientId: input.clientId,
        ip: input.ip,
        details: { passkeyId: passkey.id, step: input.purpose, backedUp: verified.backedUp },
      });
    }
    return moved;
  });
  if (!counterMoved) return refuse('counter_regression', { passkey });
  return { ok: true, userId: passkey.userId, passkey, backedUp: verified.backedUp };
}

/** The RFC 8176 amr value of a passkey: swk for a synced (backup-eligible) passkey, hwk for one bound to its device. */
export function passkeyAmr(passkey: Pick<Passkey, 'backupEligible'>): string {
  return passkey.backupEligible ? AMR.softwareKey : AMR.hardwareKey;
}

/**
 * Starts a sign-in ceremony: passwordless (any discoverable credential, no user known yet) or
 * the second factor of `userId` (only that user's passkeys are offered, and accepted).
 */
export async function beginPasskeySignIn(
  deps: AssertionDeps,
  input: { cookieValue: string; purpose: AssertionInput['purpose']; userId: string | null; now: Date },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allow = input.userId === null ? [] : await listPasskeys(deps.db, input.userId);
  const options = await authenticationOptions(deps.rp, allow);
  await saveChallenge(deps.db, { cookieValue: input.cookieValue, challenge: options.challenge, purpose: input.purpose, userId: input.userId, now: input.now });
  return options;
}
