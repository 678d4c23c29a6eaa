import { sql, type RawBuilder } from 'kysely';
import { jsonb } from '../db/json.js';
import type { Queryable } from '../db/queryable.js';
import { executePrepared } from '../db/prepared.js';
import type { AuditEvent, AuditEventType } from './event.js';

/** The only module with SQL on audit_events. */

/** An event as audit_events' columns; `occurred_at` null means Postgres's now() (see the inserts). */
function auditColumns(event: AuditEvent) {
  return {
    type: event.type,
    user_id: event.userId ?? null,
    client_id: event.clientId ?? null,
    actor_client_id: event.actorClientId ?? null,
    ip: event.ip?.slice(0, 100) ?? null,
    details: event.details ?? {},
    occurred_at: event.at ?? null,
  };
}

/** One INSERT, no read: cheap enough for every event on the hot path. */
export async function insertAuditEvent(q: Queryable, event: AuditEvent): Promise<void> {
  const { occurred_at, details, ...columns } = auditColumns(event);
  // Without `at`, the column's default now(): the start of the transaction the row commits in.
  await q
    .insertInto('audit_events')
    .values({ ...columns, details: jsonb(details), ...(occurred_at ? { occurred_at } : {}) })
    .execute();
}

/**
 * One multi-row INSERT (one statement, so one commit outside a transaction): all rows or none.
 * Rows are listed, and so get their ids, in the order given.
 */
export async function insertAuditEvents(q: Queryable, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  // The rows as one JSON document: one text for every batch size (Postgres parses and plans it once
  // per connection), `with ordinality` keeps the order given, and the details stay nested JSON.
  // Seven parallel arrays cost the driver an escaped array literal per column, element by element
  // (7 % of a client_credentials request's allocations).
  const rows = events.map(auditColumns);
  await executePrepared(
    q,
    'audit_insert_batch',
    sql`insert into audit_events (type, user_id, client_id, actor_client_id, ip, details, occurred_at)
      select e.type, e.user_id, e.client_id, e.actor_client_id, e.ip, coalesce(e.details, '{}'::jsonb), coalesce(e.occurred_at, now())
      from rows from (jsonb_to_recordset(${jsonb(rows)}::jsonb)
          as (type text, user_id uuid, client_id text, actor_client_id text, ip text, details jsonb, occurred_at timestamptz))
        with ordinality as e(type, user_id, client_id, actor_client_id, ip, details, occurred_at, n)
      order by e.n`,
  );
}

/** An audit row whose columns are SQL over another statement's rows (see insertAuditEventsFrom). */
export interface AuditRowSql {
  type: AuditEventType;
  userId: RawBuilder<string | null>;
  clientId: RawBuilder<string | null>;
  /** A value, or SQL over the source's rows (already cut to 100 characters). */
  ip: string | null | RawBuilder<string | null>;
  /** A jsonb expression; identifiers and reasons only, as AuditEvent.details. */
  details: RawBuilder<unknown>;
}

/**
 * The body of a CTE that writes one audit row per row of `source` (a CTE name the caller's
 * statement defines): the event commits in the same statement as the change it describes, with
 * no round trip and no commit of its own.
 */
export function insertAuditEventsFrom(source: string, row: AuditRowSql) {
  return sql`insert into audit_events (type, user_id, client_id, ip, details)
    select ${row.type}, ${row.userId}, ${row.clientId}, ${typeof row.ip === 'string' ? row.ip.slice(0, 100) : row.ip}, ${row.details} from ${sql.table(source)}`;
}

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

export async function listAuditEvents(q: Queryable, filter: AuditFilter): Promise<AuditRow[]> {
  let query = q.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
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
