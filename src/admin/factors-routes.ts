import { z } from 'zod';
import { recordAudit } from '../audit/record.js';
import { withTransaction } from '../db/transaction.js';
import { listFactors, removeAllFactors } from '../users/second-factors.js';
import { findUserById } from '../users/store.js';
import { auditAdminAction, type AdminDeps } from './deps.js';
import { notFound, type AdminRouter } from './route.js';
import { idParams } from './schemas.js';

const factorSchema = z.object({
  kind: z.string().describe('totp, recovery_codes, passkey (one entry per passkey)'),
  created_at: z.string().describe('RFC 3339 date-time'),
  last_used_at: z.string().nullable().describe('RFC 3339 date-time; null when never used'),
  remaining: z.number().int().optional().describe('recovery codes: how many are still unused'),
  id: z.string().optional().describe('passkey: its id'),
  name: z.string().optional().describe('passkey: the name its user gave it'),
  synced: z.boolean().optional().describe('passkey: backup-eligible (a synced passkey, amr swk) rather than bound to one device (hwk)'),
});
const factorList = z.object({ user_id: z.string(), factors: z.array(factorSchema) });
const factorReset = z.object({ user_id: z.string(), removed: z.array(z.string()).describe('the kinds removed; empty when the user had none') });

const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());

/** An operator's view of a user's second factors: kinds and dates, never a secret; and the reset. */
export function registerFactorRoutes(router: AdminRouter, deps: AdminDeps): void {
  router.add({
    method: 'GET',
    path: '/admin/users/{id}/factors',
    tag: 'users',
    summary: "List a user's second factors (kinds, created, last used; never secrets)",
    params: idParams,
    response: factorList,
    handler: async ({ params }) => {
      if (!(await findUserById(deps.db, params.id))) throw notFound('user');
      const factors = await listFactors(deps.db, params.id);
      return {
        user_id: params.id,
        factors: factors.map((f) => ({ kind: f.kind, created_at: iso(f.createdAt)!, last_used_at: iso(f.lastUsedAt), ...(f.remaining !== undefined ? { remaining: f.remaining } : {}), ...(f.kind === 'passkey' ? { id: f.id, name: f.name, synced: f.synced } : {}) })),
      };
    },
  });

  router.add({
    method: 'DELETE',
    path: '/admin/users/{id}/factors',
    tag: 'users',
    summary: 'Remove every second factor of a user (lost device): the next sign-in asks only for the password',
    params: idParams,
    response: factorReset,
    handler: async ({ params, request }) => {
      const removed = await withTransaction(deps.db, async (trx) => {
        if (!(await findUserById(trx, params.id))) throw notFound('user');
        const kinds = await removeAllFactors(trx, params.id);
        await auditAdminAction(trx, request, 'factors_reset', { userId: params.id, details: { kinds: kinds.join(' ') } });
        if (kinds.length) {
          await recordAudit(trx, request.log, {
            type: 'second_factor_removed',
            userId: params.id,
            actorClientId: request.adminClientId ?? null,
            ip: request.ip,
            details: { kinds: kinds.join(' '), by: 'operator', via: 'admin_api' },
          });
        }
        return kinds;
      });
      return { user_id: params.id, removed };
    },
  });
}
