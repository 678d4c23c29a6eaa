import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/connect.js';
import type { Database } from '../../src/db/types.js';
import { loadKeyRing, rotationDeps } from '../../src/keys/setup.js';
import type { KeyRing } from '../../src/keys/ring.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, loadPgliteTemplate } from '../helpers/database.js';
import { ManualClock } from '../helpers/manual-clock.js';

export interface InjectableApp {
  app: FastifyInstance;
  /** The app's database, for fixtures. */
  db: Kysely<Database>;
  keys: KeyRing;
  clock: ManualClock;
  close(): Promise<void>;
}

/**
 * buildApp without a socket, for `app.inject` contract tests: over an in-memory PGlite loaded from
 * the migrated template (no TEST_DATABASE_URL), else a fresh database on the test Postgres.
 */
export async function injectableApp(
  overrides: Record<string, string> = {},
  clock: ManualClock = new ManualClock(),
  /** Runs after buildApp, before ready: the last moment a test may add a hook. */
  beforeReady?: (app: FastifyInstance) => void,
): Promise<InjectableApp> {
  const config = testConfig({ ISSUER: 'https://issuer.example', ...overrides });
  const database = inject('pgliteTemplate')
    ? await (async () => {
        const handle = await openDatabase({ dataDir: '', pglite: await loadPgliteTemplate() });
        return { handle, destroy: () => handle.close() };
      })()
    : await createTestDatabase();
  const keys = await loadKeyRing(rotationDeps(database.handle.db, config, clock as Clock));
  const app = await buildApp({ config, database: database.handle, keys, clock });
  beforeReady?.(app);
  await app.ready();
  return {
    app,
    db: database.handle.db,
    keys,
    clock,
    close: async () => {
      await app.close();
      await database.destroy();
    },
  };
}
