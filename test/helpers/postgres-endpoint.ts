import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createPostgresDatabase, loadPgliteTemplate, TEST_DATABASE_URL } from './database.js';

export interface PostgresEndpoint {
  host: string;
  port: number;
  /** Builds a connection URL for this endpoint, optionally through another port (a proxy). */
  url(port?: number): string;
  /**
   * Whether named prepared statements may be used (DatabaseOptions.preparedStatements): not over
   * pglite-socket, whose connections all share PGlite's one session, as a transaction-mode
   * pooler's do (a name one connection prepared already exists for the next).
   */
  preparedStatements: boolean;
  close(): Promise<void>;
}

/**
 * A migrated database reachable over the Postgres wire protocol: a fresh database on the real
 * server when TEST_DATABASE_URL is set, otherwise PGlite behind pglite-socket.
 */
export async function startPostgresEndpoint(): Promise<PostgresEndpoint> {
  if (TEST_DATABASE_URL) {
    const { url, drop } = await createPostgresDatabase();
    const parsed = new URL(url);
    return {
      host: parsed.hostname,
      port: Number(parsed.port || 5432),
      url: (port) => {
        const copy = new URL(url);
        if (port) copy.port = String(port);
        return copy.toString();
      },
      preparedStatements: true,
      close: drop,
    };
  }
  const pglite = await loadPgliteTemplate();
  // Room for a pool of 4 and the client cache's LISTEN connection (db/notifications.ts).
  const server = new PGLiteSocketServer({ db: pglite, port: 0, host: '127.0.0.1', maxConnections: 6 });
  await server.start();
  const port = Number(new URL(`postgres://${server.getServerConn()}`).port);
  return {
    host: '127.0.0.1',
    port,
    url: (via) => `postgres://postgres@127.0.0.1:${via ?? port}/postgres`,
    preparedStatements: false,
    close: async () => {
      await server.stop();
      await pglite.close();
    },
  };
}
