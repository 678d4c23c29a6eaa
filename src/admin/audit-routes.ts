import { listAuditEvents } from '../audit/store.js';
import { AUDIT_ID_SHAPE, decodeCursor, nextCursor } from './cursor.js';
import type { AdminDeps } from './deps.js';
import type { AdminRouter } from './route.js';
import { auditPage, auditQuery, iso } from './schemas.js';

export function registerAuditRoutes(router: AdminRouter, deps: AdminDeps): void {
  router.add({
    method: 'GET',
    path: '/admin/audit',
    tag: 'audit',
    summary: 'Audit events, newest first; filter by user, client (subject or acting), type and time range',
    query: auditQuery,
    response: auditPage,
    handler: async ({ query }) => {
      const events = await listAuditEvents(deps.db, {
        userId: query.user_id,
        clientId: query.client_id,
        type: query.type,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
        before: decodeCursor(query.cursor, AUDIT_ID_SHAPE),
        limit: query.limit,
      });
      return {
        items: events.map((e) => ({
          id: e.id,
          occurred_at: iso(e.occurredAt)!,
          type: e.type,
          user_id: e.userId,
          client_id: e.clientId,
          actor_client_id: e.actorClientId,
          ip: e.ip,
          details: e.details,
        })),
        next_cursor: nextCursor(events, query.limit, (e) => e.id),
      };
    },
  });
}
