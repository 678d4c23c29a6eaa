import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.js';
import type { CliIO } from '../../src/cli/io.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { TEST_KEY_ENCRYPTION_KEY } from './config.js';
import { createPostgresDatabase, loadPgliteTemplate, TEST_DATABASE_URL } from './database.js';

export interface CliResult {
  status: number | 'running';
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  env: Record<string, string>;
  run(argv: string[], stdin?: string): Promise<CliResult>;
  /** Opens the harness's database for assertions (closed again before the next CLI call). */
  inspect<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T>;
  destroy(): Promise<void>;
}

/** Runs `latchkey` commands in-process against a database of their own: Postgres or a PGlite data dir. */
export async function createCliHarness(): Promise<CliHarness> {
  let env: Record<string, string>;
  let destroy: () => Promise<void>;
  if (TEST_DATABASE_URL) {
    const { url, drop } = await createPostgresDatabase({ migrate: false });
    env = { DATABASE_URL: url };
    destroy = drop;
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-cli-'));
    const pglite = await loadPgliteTemplate(join(dir, 'data'), { migrated: false });
    await pglite.close();
    env = { DATA_DIR: join(dir, 'data') };
    destroy = () => rm(dir, { recursive: true, force: true });
  }
  env = { ...env, NODE_ENV: 'test', LOG_LEVEL: 'silent', KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY };
  return {
    env,
    async run(argv, stdin = '') {
      let stdout = '';
      let stderr = '';
      const io: CliIO = {
        env,
        out: (text) => void (stdout += text),
        err: (text) => void (stderr += text),
        readStdin: async () => stdin,
      };
      const status = await runCli(argv, io);
      return { status, stdout, stderr };
    },
    async inspect(work) {
      const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR ?? '' });
      try {
        return await work(database);
      } finally {
        await database.close();
      }
    },
    destroy,
  };
}
