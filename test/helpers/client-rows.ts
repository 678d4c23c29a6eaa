import type { Updateable } from 'kysely';
import type { ClientsTable } from '../../src/db/types.js';
import type { RunningServer } from '../../src/main.js';

/**
 * Changes a client straight in its table, as an operator's SQL would (the trigger notifies every
 * instance), and returns once this server's client cache has seen the change: the notification
 * reaches it asynchronously, and sync() is the barrier (clients/cache.ts).
 */
export async function updateClientRow(server: RunningServer, clientId: string, set: Updateable<ClientsTable>): Promise<void> {
  await server.database.db.updateTable('clients').set(set).where('id', '=', clientId).execute();
  await server.clientCache.sync();
}

/** Deletes a client row directly, then waits for the server's client cache as updateClientRow does. */
export async function deleteClientRow(server: RunningServer, clientId: string): Promise<void> {
  await server.database.db.deleteFrom('clients').where('id', '=', clientId).execute();
  await server.clientCache.sync();
}
