import type { Queryable } from '../db/queryable.js';
import { findNonAdminClientsWithScope } from './store.js';
import { ADMIN_SCOPE } from './schema.js';

export interface WarnLog {
  warn(details: object, message: string): void;
}

/**
 * Clients registered before the scope name `admin` was reserved may still carry it. It gives
 * them nothing (the admin API checks the client's admin flag, and client_credentials never
 * grants it to them), but the operator should remove it: one warning per such client at start-up.
 */
export async function warnAboutReservedAdminScope(db: Queryable, log: WarnLog): Promise<void> {
  for (const client of await findNonAdminClientsWithScope(db, ADMIN_SCOPE)) {
    log.warn(
      { client_id: client.clientId, name: client.name },
      `client carries the reserved scope "${ADMIN_SCOPE}": it gives no admin access (only --admin clients have that); remove it from the client's scopes`,
    );
  }
}
