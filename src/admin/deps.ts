import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import type { Queryable } from '../db/queryable.js';
import type { OAuthDeps } from '../oauth/deps.js';
import type { KeyRing } from '../keys/ring.js';

export interface AdminDeps extends OAuthDeps {
  keys: KeyRing;
}

/**
 * Every admin action is audited with the acting client. Pass the transaction that makes the
 * change, so the row commits with it.
 */
export function auditAdminAction(
  q: Queryable,
  request: FastifyRequest,
  action: string,
  target: { userId?: string | null; clientId?: string | null; details?: Record<string, string | number | boolean | null> },
) {
  return recordAudit(q, request.log, {
    type: 'admin_action',
    userId: target.userId ?? null,
    clientId: target.clientId ?? null,
    actorClientId: request.adminClientId ?? null,
    ip: request.ip,
    details: { action, ...target.details },
  });
}
