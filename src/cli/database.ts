import type { Config } from '../config.js';
import { openDatabase, type DatabaseHandle } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { DataDirBusyError } from '../db/data-dir-lock.js';
import { databaseOptions, describeConnectionFailure } from '../main.js';
import { UsageError } from './io.js';

/** Opens and migrates the configured database for one command, and always closes it. */
export async function withDatabase<T>(
  config: Config,
  work: (database: DatabaseHandle) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  let database: DatabaseHandle;
  try {
    database = await openDatabase(databaseOptions(config));
  } catch (error) {
    if (error instanceof DataDirBusyError) throw new UsageError(error.message);
    throw error;
  }
  try {
    if (options.migrate !== false) await migrateToLatest(database.db);
    return await work(database);
  } catch (error) {
    throw describeConnectionFailure(config, error);
  } finally {
    await database.close();
  }
}
