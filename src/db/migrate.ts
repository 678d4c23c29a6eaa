import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from '../../migrations/index.js';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Brings the schema up to date. Safe to run concurrently: kysely takes a lock row first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any table type holds
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    // No failed migration: the migrator could not even start (no connection, no lock table); the
    // cause lets callers say which (db/connection-failure.ts).
    throw new MigrationError(failed ? `migration ${failed} failed: ${reason}` : `migrations could not run: ${reason}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
