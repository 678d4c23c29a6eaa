import type { Config } from '../../config.js';
import { DataDirBusyError } from '../../db/data-dir-lock.js';
import { closeOnSignals, startServer } from '../../main.js';
import { parseCommandArgs } from '../args.js';
import { UsageError, type CliIO } from '../io.js';
import { embeddedStoreExists } from '../../db/embedded-store.js';
import { beforeOpening, onceListening } from '../start-up-notice.js';

export const SERVE_HELP = `Usage: latchkey serve

Runs the issuer: opens the database (DATABASE_URL, or the embedded store in DATA_DIR, created on
the first start), applies migrations, and listens on HOST:PORT. The issuer is ISSUER, or outside
production http://HOST:PORT when ISSUER is unset. Configuration comes from the environment only;
see .env.example. Says where it listens and its issuer on stderr; stdout is the JSON log.
SIGTERM or SIGINT stop it gracefully (in-flight requests finish, the database is closed).
`;

export async function serve(argv: string[], io: CliIO, config: () => Config): Promise<number | 'running'> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  try {
    const settings = config();
    io.err(beforeOpening(settings, embeddedStoreExists(settings.DATA_DIR)));
    const server = await startServer(settings);
    closeOnSignals(server);
    io.err(onceListening(settings, server.url));
    return 'running';
  } catch (error) {
    if (error instanceof DataDirBusyError) throw new UsageError(error.message);
    throw error;
  }
}
