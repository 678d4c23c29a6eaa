import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/types.js';
import { KeyBox } from './crypto-box.js';
import { keyPolicy } from './lifecycle.js';
import { KeyRing } from './ring.js';
import { ensureActiveKey, type RotationDeps } from './rotation.js';
import { listKeys } from './store.js';

export function rotationDeps(db: Kysely<Database>, config: Config, clock: Clock): RotationDeps {
  return { db, box: new KeyBox(config.KEY_ENCRYPTION_KEY), policy: keyPolicy(config), clock };
}

/**
 * Makes sure a key is active (creating the first one on a fresh database) and loads the ring.
 * Throws KeyDecryptionError when KEY_ENCRYPTION_KEY does not open the stored keys.
 */
export async function loadKeyRing(deps: RotationDeps): Promise<KeyRing> {
  await ensureActiveKey(deps);
  const ring = new KeyRing(() => listKeys(deps.db), deps.box, deps.clock);
  await ring.reload();
  return ring;
}
