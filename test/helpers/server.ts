import { startServer, type RunningServer, type StartOptions } from '../../src/main.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { testConfig } from './config.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { freePort } from './ports.js';

export interface TestServer extends RunningServer {
  testDatabase?: TestDatabase;
  stop(): Promise<void>;
}

/**
 * A real Latchkey listening on 127.0.0.1 on a random port, over its own test database
 * (or the given one, which the caller then owns).
 */
export async function startTestServer(overrides: Record<string, string> = {}, database?: DatabaseHandle, options: StartOptions = {}): Promise<TestServer> {
  const testDatabase = database ? undefined : await createTestDatabase();
  const port = overrides.PORT ?? String(await freePort());
  const settings = { PORT: port, ISSUER: `http://127.0.0.1:${port}`, ...overrides };
  const server = await startServer(testConfig(settings), database ?? testDatabase!.handle, options);
  return {
    ...server,
    testDatabase,
    stop: async () => {
      await server.close();
      await testDatabase?.destroy();
    },
  };
}
