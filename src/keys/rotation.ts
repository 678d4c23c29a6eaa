import type { Kysely } from 'kysely';
import { recordAudit, type AuditLog } from '../audit/record.js';
import type { Clock } from '../clock.js';
import type { Trx } from '../db/queryable.js';
import { withTransaction } from '../db/transaction.js';
import type { Database } from '../db/types.js';
import type { KeyBox } from './crypto-box.js';
import { generateSigningKey } from './generate.js';
import {
  activeKeys,
  keyState,
  pickNextKey,
  pickSigningKey,
  retirementAt,
  rotationIsDue,
  successorActivationAt,
  type KeyPolicy,
} from './lifecycle.js';
import { insertKey, listKeys, takeRotationLock, updateSchedule, type StoredKey } from './store.js';

/**
 * Every change to the ring happens here, inside a transaction holding the rotation lock. The audit
 * rows commit with the key change; their log lines follow the commit (see audit/record.ts).
 */

export interface RotationDeps {
  db: Kysely<Database>;
  box: KeyBox;
  policy: KeyPolicy;
  clock: Clock;
  /** Where the audit log lines go (the rows are written either way). */
  log?: AuditLog;
}

const iso = (millis: number | null) => (millis === null ? null : new Date(millis).toISOString());

/** Key events have no user or client; their rows commit with the key change itself. */
function auditKeyCreated(deps: RotationDeps, trx: Trx, key: StoredKey) {
  return recordAudit(trx, deps.log, { type: 'key_created', details: { kid: key.kid, alg: key.alg, activatesAt: iso(key.activatesAt) } });
}

export interface RotateResult {
  /** scheduled: a new next key; already scheduled: the waiting one, nothing changed; activated: there was no active key. */
  outcome: 'scheduled' | 'already scheduled' | 'activated';
  key: StoredKey;
  retiring: StoredKey[];
}

export interface RotateNowResult {
  key: StoredKey;
  retiring: StoredKey[];
}

/**
 * Generates and stores a key. Its activation time is computed from the moment it is stored
 * (generation takes a while), so the publish lead time is never cut short.
 */
async function createKey(deps: RotationDeps, trx: Trx, activationFor: (now: number) => number): Promise<StoredKey> {
  const generated = await generateSigningKey(deps.policy.alg);
  const now = deps.clock.now();
  const key: StoredKey = {
    kid: generated.kid,
    alg: generated.alg,
    publicJwk: generated.publicJwk,
    privateKeyEncrypted: deps.box.seal(JSON.stringify(generated.privateJwk), generated.kid),
    createdAt: now,
    activatesAt: activationFor(now),
    retiresAt: null,
    removesAt: null,
  };
  await insertKey(trx, key);
  await auditKeyCreated(deps, trx, key);
  return key;
}

/** A key sealed under another KEY_ENCRYPTION_KEY would be unusable by the other instances: refuse. */
function assertSameEncryptionKey(box: KeyBox, keys: readonly StoredKey[], now: number): void {
  const probe = keys.find((key) => keyState(key, now) !== 'removed');
  if (probe) box.open(probe.privateKeyEncrypted, probe.kid);
}

/** Retires every key active at `now` (other than `keep`) at `retireAt`, unless it already retires earlier. */
async function retireActiveKeys(deps: RotationDeps, trx: Trx, keys: readonly StoredKey[], retireAt: number, keep?: string) {
  const now = deps.clock.now();
  const retiring: StoredKey[] = [];
  for (const key of activeKeys(keys, now)) {
    if (key.kid === keep || (key.retiresAt !== null && key.retiresAt <= retireAt)) continue;
    const schedule = retirementAt(retireAt, deps.policy);
    await updateSchedule(trx, key.kid, schedule);
    await recordAudit(trx, deps.log, { type: 'key_retired', details: { kid: key.kid, retiresAt: iso(schedule.retiresAt) } });
    retiring.push({ ...key, ...schedule });
  }
  return retiring;
}

/** Makes the waiting next key (or a new one) active now and retires the current key at once. */
async function activateNow(deps: RotationDeps, trx: Trx, keys: readonly StoredKey[]): Promise<RotateNowResult> {
  const waiting = pickNextKey(keys, deps.clock.now());
  let key: StoredKey;
  if (waiting) {
    key = { ...waiting, activatesAt: deps.clock.now() };
    await updateSchedule(trx, waiting.kid, { activatesAt: key.activatesAt });
  } else {
    key = await createKey(deps, trx, (now) => now);
  }
  await recordAudit(trx, deps.log, { type: 'key_activated', details: { kid: key.kid, activatesAt: iso(key.activatesAt) } });
  return { key, retiring: await retireActiveKeys(deps, trx, keys, key.activatesAt, key.kid) };
}

/**
 * Runs `work` in a transaction holding the rotation lock: 'wait' queues behind another instance,
 * 'try' answers { locked: false } at once when another instance holds it.
 */
async function underRotationLock<T>(deps: RotationDeps, mode: 'wait' | 'try', work: (trx: Trx, keys: StoredKey[]) => Promise<T>) {
  return withTransaction(deps.db, async (trx) => {
    if (!(await takeRotationLock(trx, mode))) return { locked: false as const };
    return { locked: true as const, result: await work(trx, await listKeys(trx)) };
  });
}

async function lockedWith<T>(deps: RotationDeps, work: (trx: Trx, keys: StoredKey[]) => Promise<T>): Promise<T> {
  const outcome = await underRotationLock(deps, 'wait', work);
  if (!outcome.locked) throw new Error('rotation lock not taken');
  return outcome.result;
}

/**
 * On start: when no key is active (an empty table on the very first start), one becomes active at
 * once. Instances starting together wait on the lock, so they make one key between them.
 */
export async function ensureActiveKey(deps: RotationDeps): Promise<StoredKey | undefined> {
  return lockedWith(deps, async (trx, keys) => {
    if (pickSigningKey(keys, deps.clock.now())) return undefined;
    assertSameEncryptionKey(deps.box, keys, deps.clock.now());
    return (await activateNow(deps, trx, keys)).key;
  });
}

/**
 * `keys rotate`: publishes a next key that activates one publish lead time from now, when the
 * current key retires. When a next key already waits, reports it and changes nothing.
 */
export async function rotate(deps: RotationDeps): Promise<RotateResult> {
  return lockedWith(deps, async (trx, keys) => {
    const now = deps.clock.now();
    const waiting = pickNextKey(keys, now);
    if (waiting) return { outcome: 'already scheduled' as const, key: waiting, retiring: [] };
    assertSameEncryptionKey(deps.box, keys, now);
    if (!pickSigningKey(keys, now)) return { outcome: 'activated' as const, ...(await activateNow(deps, trx, keys)) };
    const key = await createKey(deps, trx, (at) => at + deps.policy.publishLeadMs);
    return { outcome: 'scheduled' as const, key, retiring: await retireActiveKeys(deps, trx, keys, key.activatesAt, key.kid) };
  });
}

/** `keys rotate --now`, for emergencies: a new key signs at once and the current one retires. */
export async function rotateNow(deps: RotationDeps): Promise<RotateNowResult> {
  return lockedWith(deps, async (trx, keys) => {
    assertSameEncryptionKey(deps.box, keys, deps.clock.now());
    return activateNow(deps, trx, keys);
  });
}

/**
 * The scheduled check each instance runs: publishes the successor of a key nearing the end of
 * its rotation interval. Gives up at once when another instance holds the lock (it is doing this).
 */
export async function rotateIfDue(deps: RotationDeps): Promise<'rotated' | 'not due' | 'busy'> {
  const outcome = await underRotationLock(deps, 'try', async (trx, keys) => {
    const now = deps.clock.now();
    if (!rotationIsDue(keys, deps.policy, now)) return 'not due' as const;
    assertSameEncryptionKey(deps.box, keys, now);
    const active = pickSigningKey(keys, now);
    if (!active) {
      await activateNow(deps, trx, keys);
      return 'rotated' as const;
    }
    const next = await createKey(deps, trx, (at) => successorActivationAt(active, deps.policy, at));
    await retireActiveKeys(deps, trx, keys, next.activatesAt, next.kid);
    return 'rotated' as const;
  });
  return outcome.locked ? outcome.result : 'busy';
}
