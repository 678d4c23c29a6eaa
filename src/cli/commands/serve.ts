import type { Config } from '../../config.js';
import { DataDirBusyError } from '../../db/data-dir-lock.js';
import { closeOnSignals, startServer } from '../../main.js';
import { parseCommandArgs } from '../args.js';
import { UsageError, type CliIO } from '../io.js';

export const SERVE_HELP = `Usage: latchkey serve

Runs the issuer: opens the database (DATABASE_URL, or the embedded store in DATA_DIR), applies
migrations, and listens on HOST:PORT. Configuration comes from the environment; see .env.example.
SIGTERM or SIGINT stop it gracefully (in-flight requests finish, the database is closed).
`;

export async function serve(argv: string[], io: CliIO, config: () => Config): Promise<number | 'running'> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  try {
    const server = await startServer(config());
    closeOnSignals(server);
    return 'running';
  } catch (error) {
    if (error instanceof DataDirBusyError) throw new UsageError(error.message);
    throw error;
  }
}
