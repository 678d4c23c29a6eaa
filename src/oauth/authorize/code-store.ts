import type { Queryable } from '../../db/queryable.js';
import type { AuthCodeRow } from '../../db/tables/sign-in.js';
import { jsonb } from '../../db/json.js';
import { newOpaqueToken, sha256Hex, TOKEN_PREFIX } from '../../opaque-token.js';

export const CODE_LIFETIME_SECONDS = 60;

export interface NewCode {
  clientId: string;
  userId: string;
  sessionId: string;
  redirectUri: string;
  /** The authorization request named redirect_uri, so the token request must repeat it. */
  redirectUriGiven: boolean;
  scope: string;
  audience: string;
  nonce?: string;
  codeChallenge: string;
  authTime: Date;
  /** How the user authenticated (RFC 8176), carried to the ID token. */
  amr: string[];
  /** RFC 9449 10: only a DPoP proof with this key may redeem the code. */
  dpopJkt?: string;
}

/** Issues a single-use code bound to everything the token request must repeat or prove. */
export async function issueCode(q: Queryable, input: NewCode, now: Date): Promise<string> {
  const code = newOpaqueToken(TOKEN_PREFIX.authorizationCode);
  await q
    .insertInto('auth_codes')
    .values({
      code_hash: sha256Hex(code),
      client_id: input.clientId,
      user_id: input.userId,
      session_id: input.sessionId,
      redirect_uri: input.redirectUri,
      redirect_uri_given: input.redirectUriGiven,
      scope: input.scope,
      audience: input.audience,
      nonce: input.nonce ?? null,
      code_challenge: input.codeChallenge,
      dpop_jkt: input.dpopJkt ?? null,
      auth_time: input.authTime,
      amr: jsonb(input.amr),
      created_at: now,
      expires_at: new Date(now.getTime() + CODE_LIFETIME_SECONDS * 1000),
    })
    .execute();
  return code;
}

export type CodeRedemption =
  | { status: 'redeemed'; code: AuthCodeRow }
  | { status: 'replayed'; code: AuthCodeRow }
  | { status: 'invalid' };

/**
 * Consumes a code in one atomic compare-and-set, recording the grant it becomes: of two
 * concurrent exchanges exactly one wins. Run it in the transaction that creates that grant, so
 * a replay (reported with the grant id to revoke) never sees a consumed code without its grant,
 * except one whose exchange failed (markExchangeFailed: no grant id at all).
 */
export async function redeemCode(q: Queryable, code: string, grantId: string, now: Date): Promise<CodeRedemption> {
  if (!code.startsWith(TOKEN_PREFIX.authorizationCode) || code.length > 100) return { status: 'invalid' };
  const codeHash = sha256Hex(code);
  const redeemed = await q
    .updateTable('auth_codes')
    .set({ consumed_at: now, grant_id: grantId })
    .where('code_hash', '=', codeHash)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  if (redeemed) return { status: 'redeemed', code: redeemed };
  const existing = await q.selectFrom('auth_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
  if (existing?.consumed_at) return { status: 'replayed', code: existing };
  return { status: 'invalid' };
}

/**
 * A redeemed code whose exchange was then refused (wrong verifier, client or redirect_uri) stays
 * consumed but records no grant: a later presentation is then told the code was spent by a failed
 * exchange rather than that it already became tokens. Run it in the redeeming transaction.
 */
export async function markExchangeFailed(q: Queryable, codeHash: string): Promise<void> {
  await q.updateTable('auth_codes').set({ grant_id: null }).where('code_hash', '=', codeHash).execute();
}
