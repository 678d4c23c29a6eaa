import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { ADMIN_SCOPE } from './schema.js';

export interface WarnLog {
  warn(details: object, message: string): void;
}

/**
 * Clients registered before the scope name `admin` was reserved may still carry it. It gives
 * them nothing (the admin API checks the client's admin flag, and client_credentials never
 * grants it to them), but the operator should remove it: one warning per such client at start-up.
 */
export async function warnAboutReservedAdminScope(db: Kysely<Database>, log: WarnLog): Promise<void> {
  const offenders = await db
    .selectFrom('clients')
    .select(['id', 'name'])
    .where('is_admin', '=', false)
    .where(sql<boolean>`scopes @> ${JSON.stringify([ADMIN_SCOPE])}::jsonb`)
    .orderBy('id')
    .execute();
  for (const client of offenders) {
    log.warn(
      { client_id: client.id, name: client.name },
      `client carries the reserved scope "${ADMIN_SCOPE}": it gives no admin access (only --admin clients have that); remove it from the client's scopes`,
    );
  }
}
