import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { preparePrivateDataDir } from './private-dir.js';

/** The file in DATA_DIR that holds the embedded store's generated KEY_ENCRYPTION_KEY. */
export const KEY_FILE_NAME = 'key-encryption-key';

const KEY_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** Said once, when the key file is created (by `serve` in its log, by other commands on stderr). */
export const GENERATED_KEY_NOTICE =
  'KEY_ENCRYPTION_KEY is not set: generated one in DATA_DIR/key-encryption-key; back it up together with DATA_DIR (the signing keys cannot be opened without it)';

function readKey(path: string): string {
  const key = readFileSync(path, 'utf8').trim();
  if (!KEY_FORMAT.test(key)) {
    throw new Error(`${path} does not hold a key (43 base64url characters); restore it from your backup of DATA_DIR, or set KEY_ENCRYPTION_KEY`);
  }
  return key;
}

/**
 * The embedded store's KEY_ENCRYPTION_KEY when none is configured: 32 random bytes generated
 * once, kept in DATA_DIR (mode 0600, directory 0700) and reused on every later start. The file
 * appears atomically and only once (link() refuses to replace it), so two processes starting
 * together agree on one key and a crash never leaves half a key behind.
 */
export function readOrCreateEmbeddedKey(dataDir: string): { key: string; generated: boolean } {
  preparePrivateDataDir(dataDir);
  const path = join(dataDir, KEY_FILE_NAME);
  try {
    return { key: readKey(path), generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // A store that already exists was sealed with some other key: a fresh one could never open it.
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new Error(
      `DATA_DIR holds a database but no ${KEY_FILE_NAME}: restore that file from your backup of DATA_DIR, or set KEY_ENCRYPTION_KEY to the key the store was created with (stores created before keys were generated used the old built-in development key)`,
    );
  }
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const key = randomBytes(32).toString('base64url');
  const fd = openSync(draft, 'wx', 0o600);
  try {
    writeSync(fd, `${key}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(draft, path);
    return { key, generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: readKey(path), generated: false };
  } finally {
    rmSync(draft, { force: true });
  }
}
