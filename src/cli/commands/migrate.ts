import type { Config } from '../../config.js';
import { migrateToLatest } from '../../db/migrate.js';
import { parseCommandArgs } from '../args.js';
import { withDatabase } from '../database.js';
import { printJson, type CliIO } from '../io.js';

export const MIGRATE_HELP = `Usage: latchkey migrate

Brings the database schema up to date (DATABASE_URL, or the embedded store in DATA_DIR) and prints
the migrations it applied. Safe to run repeatedly and from several machines at once; \`serve\` does the
same on start.
`;

export async function migrate(argv: string[], io: CliIO, config: () => Config): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    io.out(MIGRATE_HELP);
    return 0;
  }
  const applied = await withDatabase(config(), ({ db }) => migrateToLatest(db), { migrate: false });
  printJson(io, { status: 'up to date', applied });
  return 0;
}
