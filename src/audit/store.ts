import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';

export interface AuditFilter {
  userId?: string;
  clientId?: string;
  type?: string;
  since?: Date;
  until?: Date;
  /** Exclusive: events older than this id (newest first). */
  before?: string;
  limit: number;
}

export interface AuditRow {
  id: string;
  occurredAt: Date;
  type: string;
  userId: string | null;
  clientId: string | null;
  actorClientId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export async function listAuditEvents(db: Kysely<Database>, filter: AuditFilter): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.userId) query = query.where('user_id', '=', filter.userId);
  if (filter.clientId) query = query.where((eb) => eb.or([eb('client_id', '=', filter.clientId!), eb('actor_client_id', '=', filter.clientId!)]));
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.since) query = query.where('occurred_at', '>=', filter.since);
  if (filter.until) query = query.where('occurred_at', '<', filter.until);
  if (filter.before) query = query.where('id', '<', filter.before);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: String(r.id),
    occurredAt: r.occurred_at,
    type: r.type,
    userId: r.user_id,
    clientId: r.client_id,
    actorClientId: r.actor_client_id,
    ip: r.ip,
    details: r.details,
  }));
}
