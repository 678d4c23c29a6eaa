import { z } from 'zod';
import { recordAudit } from '../audit/record.js';
import { revokeConsent } from '../browser/consent-store.js';
import { logOutEverywhere } from '../browser/log-out-everywhere.js';
import { endSession, findSessionOwner, listUserSessions } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import { withTransaction } from '../db/transaction.js';
import { findGrantOwner, listUserFamilies, revokeGrant } from '../tokens/grant-store.js';
import { findUserById } from '../users/store.js';
import { iso } from './schemas.js';
import { auditAdminAction, type AdminDeps } from './deps.js';
import { notFound, type AdminRouter } from './route.js';
import { idParams, logoutEverywhereResult, revokedResult, sessionsResult } from './schemas.js';

export function registerSessionRoutes(router: AdminRouter, deps: AdminDeps): void {
  const requireUser = async (id: string) => {
    if (!(await findUserById(deps.db, id))) throw notFound('user');
  };

  router.add({
    method: 'GET',
    path: '/admin/users/{id}/sessions',
    tag: 'sessions',
    summary: "A user's refresh families and browser sessions",
    params: idParams,
    response: sessionsResult,
    handler: async ({ params }) => {
      await requireUser(params.id);
      const [families, sessions] = await Promise.all([listUserFamilies(deps.db, params.id), listUserSessions(deps.db, params.id)]);
      return {
        refresh_families: families.map((f) => ({
          id: f.id,
          kind: 'refresh_family' as const,
          client_id: f.clientId,
          scope: f.scope,
          created_at: iso(f.createdAt)!,
          last_used_at: iso(f.lastUsedAt)!,
          expires_at: iso(f.expiresAt)!,
          revoked_at: iso(f.revokedAt),
          revoked_reason: f.revokedReason,
          ip: f.ip,
          user_agent: f.userAgent,
        })),
        browser_sessions: sessions.map((s) => ({
          id: s.id,
          kind: 'browser_session' as const,
          created_at: iso(s.createdAt)!,
          last_used_at: iso(s.lastSeenAt)!,
          expires_at: iso(s.expiresAt)!,
          ended_at: iso(s.endedAt),
          ip: s.ip,
          user_agent: s.userAgent,
        })),
      };
    },
  });

  router.add({
    method: 'DELETE',
    path: '/admin/users/{id}/sessions',
    tag: 'sessions',
    summary: 'Log the user out everywhere: every refresh token fails and every access token introspects inactive at once',
    params: idParams,
    response: logoutEverywhereResult,
    handler: async ({ params, request }) => {
      await requireUser(params.id);
      return withTransaction(deps.db, async (trx) => {
        const result = await logOutEverywhere(trx, params.id, 'logged out everywhere by an admin', nowDate(deps));
        await auditAdminAction(trx, request, 'logout_everywhere', { userId: params.id, details: result });
        return result;
      });
    },
  });

  router.add({
    method: 'DELETE',
    path: '/admin/sessions/{id}',
    tag: 'sessions',
    summary: 'Revoke one refresh family or end one browser session (by its id)',
    params: idParams,
    response: revokedResult,
    handler: async ({ params, request }) => {
      const now = nowDate(deps);
      const grant = await findGrantOwner(deps.db, params.id);
      if (grant) {
        return withTransaction(deps.db, async (trx) => {
          const revoked = await revokeGrant(trx, params.id, 'revoked by an admin', now);
          if (revoked) {
            await recordAudit(trx, request.log, { type: 'family_revoked', userId: grant.userId, clientId: grant.clientId, actorClientId: request.adminClientId, details: { grantId: params.id, reason: 'revoked by an admin' } });
          }
          return { revoked };
        });
      }
      const owner = await findSessionOwner(deps.db, params.id);
      if (!owner) throw notFound('session');
      await withTransaction(deps.db, async (trx) => {
        await endSession(trx, params.id, now);
        await auditAdminAction(trx, request, 'session_ended', { userId: owner, details: { sessionId: params.id } });
      });
      return { revoked: true };
    },
  });

  router.add({
    method: 'DELETE',
    path: '/admin/users/{id}/consents/{clientId}',
    tag: 'sessions',
    summary: 'Forget the consent a user gave a client (the consent page shows again)',
    params: idParams.extend({ clientId: z.string().min(1).max(200) }),
    response: revokedResult,
    handler: async ({ params, request }) => {
      return withTransaction(deps.db, async (trx) => {
        const revoked = await revokeConsent(trx, params.id, params.clientId);
        if (!revoked) throw notFound('consent');
        await recordAudit(trx, request.log, { type: 'consent_revoked', userId: params.id, clientId: params.clientId, actorClientId: request.adminClientId, ip: request.ip });
        return { revoked };
      });
    },
  });
}
