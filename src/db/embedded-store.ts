import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** True once DATA_DIR holds an initialised embedded store (PGlite writes PG_VERSION at initdb). */
export function embeddedStoreExists(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}
