import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../../src/db/migrate.js';

/**
 * Without TEST_DATABASE_URL the tests run on PGlite. Its initdb takes seconds, so it runs once
 * here: a migrated template is dumped to a tarball that each test file loads into memory.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgliteTemplate', '');
    project.provide('pgliteEmptyTemplate', '');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-template-'));
  const pglite = await PGlite.create();
  const emptyPath = join(dir, 'empty.tar');
  await writeFile(emptyPath, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  const db = new Kysely({ dialect: new PGliteDialect(pglite) });
  await migrateToLatest(db);
  const dump = await pglite.dumpDataDir('none');
  await db.destroy();
  const path = join(dir, 'template.tar');
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', path);
  project.provide('pgliteEmptyTemplate', emptyPath);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    pgliteEmptyTemplate: string;
  }
}
