import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { buildApp } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  database: DatabaseHandle;
  /** http://host:port actually bound (useful with PORT=0). */
  url: string;
  close(): Promise<void>;
}

export function databaseOptions(config: Config) {
  return {
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolMax: config.DB_POOL_MAX,
    timeoutMs: config.DB_TIMEOUT * 1000,
  };
}

/** config -> database -> migrations -> app -> listen. */
export async function startServer(config: Config, database?: DatabaseHandle): Promise<RunningServer> {
  const db = database ?? (await openDatabase(databaseOptions(config)));
  let app: FastifyInstance | undefined;
  try {
    await migrateToLatest(db.db);
    app = await buildApp({ config, database: db });
    if (config.usingDevelopmentKey) {
      app.log.warn('KEY_ENCRYPTION_KEY is not set: using the built-in development key (refused when NODE_ENV=production)');
    }
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (error) {
    await app?.close().catch(() => undefined);
    if (!database) await db.close().catch(() => undefined);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  let closing: Promise<void> | undefined;
  const started = app;
  return {
    app: started,
    database: db,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await started.close(); // stops accepting, lets in-flight requests finish
        if (!database) await db.close();
      })()),
  };
}

/** Closes the server on SIGTERM/SIGINT, giving in-flight requests up to `graceMs`. */
export function closeOnSignals(server: RunningServer, graceMs = 10_000): void {
  const shutdown = (signal: NodeJS.Signals) => {
    server.app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      server.app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    server
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        server.app.log.error({ err: error }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
