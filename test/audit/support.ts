import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';

export interface AuditRow {
  id: string;
  type: string;
  user_id: string | null;
  client_id: string | null;
  actor_client_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** Every audit row, oldest first. */
export async function auditRows(db: Kysely<Database>): Promise<AuditRow[]> {
  const rows = await db.selectFrom('audit_events').selectAll().orderBy('id', 'asc').execute();
  return rows.map((row) => ({
    id: String(row.id),
    type: row.type,
    user_id: row.user_id,
    client_id: row.client_id,
    actor_client_id: row.actor_client_id,
    ip: row.ip,
    details: row.details as Record<string, unknown>,
  }));
}

/** A cursor over the audit table: what was written since the last call. */
export function auditCursor(db: Kysely<Database>) {
  let seen = 0;
  return {
    async skip(): Promise<void> {
      seen = (await auditRows(db)).length;
    },
    async next(): Promise<AuditRow[]> {
      const rows = await auditRows(db);
      const fresh = rows.slice(seen);
      seen = rows.length;
      return fresh;
    },
  };
}

/** The payload of a JWT, unverified (the test only reads its jti). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

/** Markers of values that must never reach an audit row or log line. */
export const SECRET_MARKERS = ['lk_rt_', 'lk_ac_', 'lk_ss_', 'lk_cs_', 'eyJ'];
