import { systemClock } from '../../clock.js';
import type { Config } from '../../config.js';
import { keyState, RING_RELOAD_INTERVAL_MS } from '../../keys/lifecycle.js';
import { rotate, rotateNow } from '../../keys/rotation.js';
import { rotationDeps } from '../../keys/setup.js';
import { listKeys, type StoredKey } from '../../keys/store.js';
import { parseCommandArgs } from '../args.js';
import { withDatabase } from '../database.js';
import { printJson, type CliIO } from '../io.js';

const RELOAD_SECONDS = RING_RELOAD_INTERVAL_MS / 1000;

export const KEYS_LIST_HELP = `Usage: latchkey keys list

Prints every signing key as JSON: kid, alg, state (next, active, retired, removed) and the dates
it was created, activates, retires and leaves the JWKS.
`;

export const KEYS_ROTATE_HELP = `Usage: latchkey keys rotate [--now]

Prints JSON: status (scheduled, already scheduled, activated, rotated), the key concerned, and
the keys retiring because of it.

Without --now: publishes a new key in the JWKS now; it starts signing once one JWKS cache lifetime
(JWKS_CACHE_TTL) has passed, and the current key retires then. If a next key is already waiting,
prints it and changes nothing.

  --now   for emergencies (a leaked key): the next key (or a new one) signs at once and the
          current key retires now. Resource servers that cached the JWKS will fetch it again when
          they meet the new kid.

Retired keys stay in the JWKS until every token they signed has expired. Running servers pick up
the change within ${RELOAD_SECONDS} seconds. Needs the KEY_ENCRYPTION_KEY the servers use.
`;

function describeKey(key: StoredKey, now: number) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    kid: key.kid,
    alg: key.alg,
    state: keyState(key, now),
    created_at: iso(key.createdAt),
    activates_at: iso(key.activatesAt),
    retires_at: iso(key.retiresAt),
    removes_at: iso(key.removesAt),
  };
}

export async function keysList(argv: string[], io: CliIO, config: () => Config): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    io.out(KEYS_LIST_HELP);
    return 0;
  }
  const keys = await withDatabase(config(), ({ db }) => listKeys(db));
  const now = systemClock.now();
  printJson(io, { keys: keys.map((key) => describeKey(key, now)) });
  return 0;
}

export async function keysRotate(argv: string[], io: CliIO, config: () => Config): Promise<number> {
  const { values } = parseCommandArgs(argv, { now: { type: 'boolean' } });
  if (values.help) {
    io.out(KEYS_ROTATE_HELP);
    return 0;
  }
  const settings = config();
  await withDatabase(settings, async ({ db }) => {
    const deps = rotationDeps(db, settings, systemClock);
    const now = () => systemClock.now();
    const result = values.now ? { outcome: 'rotated', ...(await rotateNow(deps)) } : await rotate(deps);
    printJson(io, {
      status: result.outcome,
      key: describeKey(result.key, now()),
      retiring: result.retiring.map((key) => describeKey(key, now())),
    });
  });
  return 0;
}
