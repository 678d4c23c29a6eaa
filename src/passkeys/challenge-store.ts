import type { Queryable } from '../db/queryable.js';
import type { ChallengePurpose } from '../db/tables/passkeys.js';
import { sha256Hex } from '../opaque-token.js';

export type { ChallengePurpose } from '../db/tables/passkeys.js';

/** How long a ceremony may take: WebAuthn's recommended timeout (5 minutes, 15.1). */
export const CHALLENGE_TTL_SECONDS = 300;

export interface IssuedChallenge {
  challenge: string;
  purpose: ChallengePurpose;
  userId: string | null;
}

/** Stores a challenge under the hash of the browser's cookie value (the cookie holds the value). */
export async function saveChallenge(q: Queryable, input: { cookieValue: string; challenge: string; purpose: ChallengePurpose; userId: string | null; now: Date }): Promise<void> {
  await q
    .insertInto('webauthn_challenges')
    .values({
      cookie_hash: sha256Hex(input.cookieValue),
      challenge: input.challenge,
      purpose: input.purpose,
      user_id: input.userId,
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + CHALLENGE_TTL_SECONDS * 1000),
    })
    .execute();
}

/**
 * Takes the challenge this browser's cookie names, for this purpose, once: the DELETE is the
 * read, so of two requests presenting the same cookie only one gets the row (single use even
 * under a concurrent replay). An expired row is taken too, and reported as absent.
 */
export async function consumeChallenge(q: Queryable, cookieValue: string | undefined, purpose: ChallengePurpose, now: Date): Promise<IssuedChallenge | undefined> {
  if (!cookieValue || cookieValue.length > 100) return undefined;
  const row = await q
    .deleteFrom('webauthn_challenges')
    .where('cookie_hash', '=', sha256Hex(cookieValue))
    .where('purpose', '=', purpose)
    .returning(['challenge', 'purpose', 'user_id', 'expires_at'])
    .executeTakeFirst();
  if (!row || row.expires_at.getTime() <= now.getTime()) return undefined;
  return { challenge: row.challenge, purpose: row.purpose, userId: row.user_id };
}
