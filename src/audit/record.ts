import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { jsonb } from '../db/json.js';
import { notifyAuditListeners } from './listeners.js';

export type AuditEventType =
  | 'login_succeeded'
  | 'login_failed'
  | 'logout'
  | 'consent_given'
  | 'consent_revoked'
  | 'token_issued'
  | 'refresh_reuse_detected'
  | 'family_revoked'
  | 'token_revoked'
  | 'key_created'
  | 'key_activated'
  | 'key_retired'
  | 'admin_action'
  /** A valid token that is not an admin client's reached /admin (issue 10 item 1). */
  | 'admin_access_denied';

export interface AuditEvent {
  type: AuditEventType;
  userId?: string | null;
  clientId?: string | null;
  /** The client that acted (admin API calls). */
  actorClientId?: string | null;
  ip?: string | null;
  /** Identifiers and reasons only: never a token, secret, password or code. */
  details?: Record<string, string | number | boolean | null>;
  at?: Date;
}

/** Where the log line goes: a pino/fastify logger, or anything with the same info(). */
export interface AuditLog {
  info(details: object, message: string): void;
}

/** The structured log line of an event (recordAudit writes it; call it alone after a commit). */
export function logAudit(log: AuditLog | undefined, event: AuditEvent): void {
  notifyAuditListeners(event);
  log?.info({ audit: { type: event.type, userId: event.userId, clientId: event.clientId, actorClientId: event.actorClientId, details: event.details } }, `audit ${event.type}`);
}

/**
 * Writes an audit row (one INSERT, no read) and the same event as a structured log line. Inside
 * a transaction, pass the transaction as db so the row commits (or not) with the change.
 */
export async function recordAudit(db: Kysely<Database>, log: AuditLog | undefined, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      type: event.type,
      user_id: event.userId ?? null,
      client_id: event.clientId ?? null,
      actor_client_id: event.actorClientId ?? null,
      ip: event.ip?.slice(0, 100) ?? null,
      details: jsonb(event.details ?? {}),
      ...(event.at ? { occurred_at: event.at } : {}),
    })
    .execute();
  logAudit(log, event);
}
