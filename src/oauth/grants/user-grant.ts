import { recordAudit } from '../../audit/record.js';
import type { Client } from '../../clients/store.js';
import type { Trx } from '../../db/queryable.js';
import { withTransaction } from '../../db/transaction.js';
import { newJti } from '../../tokens/access-token.js';
import { createGrant, revokeGrant } from '../../tokens/grant-store.js';
import type { PublicUser } from '../../users/store.js';
import type { OAuthDeps } from '../deps.js';
import { formatScope } from '../scopes.js';
import { audiencesStillAllowed } from '../audience.js';
import { issueUserTokens } from '../token/issue.js';
import type { TokenResponse } from '../token/response.js';
import type { TokenEndpointSettings } from '../token/settings.js';
import type { RequestOrigin } from './grant.js';
import { scopesStillAllowed, wantsRefreshToken } from './user-grant-rules.js';

/** A user's approval, as an authorization code or an approved device code carries it. */
export interface UserApproval {
  userId: string;
  sessionId: string;
  scope: string;
  audience: string;
  authTime: Date;
  /** How the user authenticated (RFC 8176). */
  amr: string[];
  nonce: string | null;
}

export type StartedUserGrant =
  | { ok: true; response: TokenResponse; jti: string; scope: string; withRefreshToken: boolean }
  | { ok: false; reason: string };

/**
 * What every grant that turns a user's approval into tokens does alike, inside the transaction
 * that consumed the approval: the approval's scopes the client still has, a new grant (family)
 * with the approving session, and its first access (and refresh) token.
 */
export async function startUserGrant(
  trx: Trx,
  deps: OAuthDeps,
  settings: TokenEndpointSettings,
  start: { grantId: string; client: Client; user: PublicUser; approval: UserApproval; origin: RequestOrigin; now: Date; dpopJkt: string | null },
): Promise<StartedUserGrant> {
  const { grantId, client, user, approval, origin, now, dpopJkt } = start;
  if (!audiencesStillAllowed(client, settings.issuer).includes(approval.audience)) return { ok: false, reason: 'the audience is no longer registered for this client' };
  const scopes = scopesStillAllowed(approval.scope, client);
  if (scopes.length === 0) return { ok: false, reason: 'none of the authorized scopes is allowed for this client any more' };
  const scope = formatScope(scopes);
  const withRefreshToken = wantsRefreshToken(client, scopes);
  const lifetimes = withRefreshToken
    ? { idleSeconds: settings.refreshIdleTtl, absoluteSeconds: settings.refreshAbsoluteTtl }
    : { idleSeconds: settings.accessTokenTtl, absoluteSeconds: settings.accessTokenTtl };
  await createGrant(
    trx,
    {
      id: grantId,
      clientId: client.clientId,
      userId: approval.userId,
      sessionId: approval.sessionId,
      scope,
      audience: approval.audience,
      authTime: approval.authTime,
      amr: approval.amr,
      nonce: approval.nonce,
      ...lifetimes,
      // RFC 9449 5: a public client's refresh tokens are bound to the key; a confidential
      // client's are bound to its authentication already.
      dpopJkt: client.type === 'public' ? dpopJkt : null,
      ip: origin.ip,
      userAgent: origin.userAgent,
    },
    now,
  );
  const jti = newJti();
  const response = await issueUserTokens(
    trx,
    deps.tokens,
    {
      grantId,
      clientId: client.clientId,
      user,
      scopes,
      audience: approval.audience,
      authTime: approval.authTime,
      amr: approval.amr,
      sessionId: approval.sessionId,
      nonce: approval.nonce ?? undefined,
      withRefreshToken,
      jti,
      dpopJkt,
    },
    now,
  );
  if (response.refresh_token) response.refresh_expires_in = lifetimes.absoluteSeconds;
  return { ok: true, response, jti, scope, withRefreshToken };
}

/**
 * An approval presented a second time (a replayed code or device code): the grant its first
 * redemption created is revoked with every token it produced (RFC 6749 4.1.2), and audited once.
 */
export async function revokeReplayedGrant(
  deps: OAuthDeps,
  replay: { grantId: string; userId: string | null; clientId: string; reason: string; details?: Record<string, string> },
  origin: RequestOrigin,
  now: Date,
): Promise<void> {
  await withTransaction(deps.db, async (trx) => {
    if (!(await revokeGrant(trx, replay.grantId, replay.reason, now))) return;
    await recordAudit(trx, origin.log, {
      type: 'family_revoked',
      userId: replay.userId,
      clientId: replay.clientId,
      ip: origin.ip,
      details: { grantId: replay.grantId, reason: replay.reason, ...replay.details },
    });
  });
}
