import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { buildApp } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { KeyRing } from './keys/ring.js';
import { loadKeyRing, rotationDeps } from './keys/setup.js';
import { startKeyMaintenance, type KeyMaintenance } from './keys/maintenance.js';
import { startCleanup, type CleanupJob } from './maintenance/cleanup.js';
import { warnAboutReservedAdminScope } from './clients/reserved-scope.js';
import { GENERATED_KEY_NOTICE } from './db/embedded-key-file.js';
import { ClientCache } from './clients/cache.js';
import { connectionFailure } from './db/connection-failure.js';
import { embeddedStoreExists } from './db/embedded-store.js';

export interface RunningServer {
  app: FastifyInstance;
  database: DatabaseHandle;
  keys: KeyRing;
  /** The ring's reload-and-rotate timer; tick() runs one pass now (tests use it instead of waiting). */
  keyMaintenance: KeyMaintenance;
  /**
   * The in-memory client cache (clients/cache.ts). A test that changes a client in the database
   * directly awaits `clientCache.sync()` before asking this server about it.
   */
  clientCache: ClientCache;
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
    preparedStatements: config.DB_PREPARED_STATEMENTS === 'true',
  };
}

/** A failure to reach Postgres as one operator-readable error; any other error unchanged. */
export function describeConnectionFailure(config: Config, error: unknown): unknown {
  if (!config.DATABASE_URL) return error;
  return connectionFailure(error, config.DATABASE_URL, config.DB_TIMEOUT * 1000) ?? error;
}

export interface StartOptions {
  /** Time source for keys and tokens (tests move it); the system clock by default. */
  clock?: Clock;
}

/**
 * config -> database -> migrations -> key ring -> app -> listen. A KEY_ENCRYPTION_KEY that does
 * not open the stored keys rejects with KeyDecryptionError before anything listens.
 */
export async function startServer(config: Config, database?: DatabaseHandle, options: StartOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const creatingStore = !database && !config.DATABASE_URL && !embeddedStoreExists(config.DATA_DIR);
  const db = database ?? (await openDatabase(databaseOptions(config)));
  let app: FastifyInstance | undefined;
  let maintenance: KeyMaintenance | undefined;
  let cleanup: CleanupJob | undefined;
  let keys: KeyRing;
  const clients = new ClientCache({ db: db.db, reloadIntervalSeconds: config.CLIENT_CACHE_RELOAD_INTERVAL });
  try {
    await migrateToLatest(db.db);
    const rotation = rotationDeps(db.db, config, clock);
    keys = await loadKeyRing(rotation);
    app = await buildApp({ config, database: db, keys, clock, clients });
    if (config.keyEncryptionKeySource === 'generated') app.log.warn({ dataDir: config.DATA_DIR }, GENERATED_KEY_NOTICE);
    if (creatingStore) app.log.info({ dataDir: config.DATA_DIR }, 'created the embedded store');
    app.log.info(
      { issuer: config.ISSUER, issuerSource: config.issuerSource },
      config.issuerSource === 'derived' ? `ISSUER is unset: the issuer is ${config.ISSUER}, derived from HOST and PORT` : `the issuer is ${config.ISSUER}`,
    );
    await warnAboutReservedAdminScope(db.db, app.log);
    // Before listening, so the first requests already use it (it reads Postgres until LISTEN is up).
    await clients.start(db, app.log);
    maintenance = startKeyMaintenance(keys, rotation, app.log);
    cleanup = startCleanup(db.db, clock, app.log);
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (error) {
    await maintenance?.stop().catch(() => undefined);
    await cleanup?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await clients.close().catch(() => undefined);
    if (!database) await db.close().catch(() => undefined);
    throw describeConnectionFailure(config, error);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  let closing: Promise<void> | undefined;
  const started = app;
  const startedMaintenance = maintenance;
  const startedCleanup = cleanup!;
  return {
    app: started,
    database: db,
    keys,
    keyMaintenance: startedMaintenance,
    clientCache: clients,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await startedMaintenance.stop();
        await startedCleanup.stop();
        await drainAndClose(started);
        // After the drain: requests in flight still look clients up.
        await clients.close();
        if (!database) await db.close();
      })()),
  };
}

/**
 * Stops accepting connections and lets requests in flight finish. Keep-alive connections that
 * were busy when the close began would otherwise hold it open: their responses say
 * `Connection: close` (see app.ts), and idle ones are closed as they appear.
 */
async function drainAndClose(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
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
