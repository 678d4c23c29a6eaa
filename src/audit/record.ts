import type { Queryable } from '../db/queryable.js';
import { afterCommit } from '../db/transaction.js';
import { notifyAuditListeners } from './listeners.js';
import { insertAuditEvent } from './store.js';
import type { AuditEvent } from './event.js';

export type { AuditEvent, AuditEventType } from './event.js';

/** Where the log line goes: a pino/fastify logger, or anything with the same info(). */
export interface AuditLog {
  info(details: object, message: string): void;
}

/** The structured log line of an event, and the in-process listeners (metrics). */
export function logAudit(log: AuditLog | undefined, event: AuditEvent): void {
  notifyAuditListeners(event);
  log?.info({ audit: { type: event.type, userId: event.userId, clientId: event.clientId, actorClientId: event.actorClientId, details: event.details } }, `audit ${event.type}`);
}

/**
 * Records an event: the row is written through `q`, so inside a transaction it commits (or rolls
 * back) with the change it describes; the log line follows only once that commit happened, so
 * the log never reports a change the database does not hold.
 */
export async function recordAudit(q: Queryable, log: AuditLog | undefined, event: AuditEvent): Promise<void> {
  await insertAuditEvent(q, event);
  afterCommit(q, () => logAudit(log, event));
}
