import { chmodSync, mkdirSync } from 'node:fs';

/** Owner-only: no group or other bits on anything this process creates from now on. */
const PRIVATE_UMASK = 0o077;

/**
 * Makes the embedded store's directory private before anything is written into it: the process
 * umask becomes 077 (PGlite creates ~1000 files and would otherwise leave them world-readable)
 * and the directory is 0700, also when it already existed with looser permissions.
 */
export function preparePrivateDataDir(dataDir: string): void {
  process.umask(PRIVATE_UMASK);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}
