import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { KeyBox, KeyDecryptionError } from '../../src/keys/crypto-box.js';
import { keyPolicy, keyState, PROPAGATION_SLACK_MS } from '../../src/keys/lifecycle.js';
import { ensureActiveKey, rotate, rotateIfDue, rotateNow, type RotationDeps } from '../../src/keys/rotation.js';
import { listKeys } from '../../src/keys/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { testConfig } from '../helpers/config.js';
import { ManualClock, rotationFor, SECOND } from './support.js';

const config = testConfig({
  JWKS_CACHE_TTL: '60',
  ACCESS_TOKEN_TTL: '300',
  ID_TOKEN_TTL: '120',
  CLOCK_TOLERANCE: '30',
  KEY_ROTATION_INTERVAL: '3600',
});
const LEAD_MS = 60 * SECOND + PROPAGATION_SLACK_MS;
const RETENTION_MS = (300 + 30) * SECOND + PROPAGATION_SLACK_MS;
const T0 = Date.parse('2031-03-01T00:00:00Z');

describe('key rotation', () => {
  let database: TestDatabase;
  let clock: ManualClock;
  let deps: RotationDeps;
  const states = async () => (await listKeys(database.handle.db)).map((key) => ({ kid: key.kid, state: keyState(key, clock.now()) }));

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.destroy());
  beforeEach(async () => {
    await sql`delete from signing_keys`.execute(database.handle.db);
    clock = new ManualClock(T0);
    deps = rotationFor(database.handle, config, clock);
  });

  it('derives the lead time and retention from the configuration', () => {
    expect(keyPolicy(config)).toEqual({ alg: 'ES256', publishLeadMs: LEAD_MS, retentionAfterRetireMs: RETENTION_MS, rotationIntervalMs: 3600 * SECOND });
  });

  it('makes exactly one active key on a fresh database, even when instances start together', async () => {
    const created = await Promise.all([ensureActiveKey(deps), ensureActiveKey(deps), ensureActiveKey(deps)]);
    expect(created.filter(Boolean)).toHaveLength(1);
    const keys = await listKeys(database.handle.db);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ alg: 'ES256', activatesAt: T0, retiresAt: null, removesAt: null });
    expect(await ensureActiveKey(deps)).toBeUndefined();
  });

  it('rotate publishes a next key that activates one lead time later, when the current key retires', async () => {
    const first = (await ensureActiveKey(deps))!;
    clock.advance(10 * SECOND);
    const result = await rotate(deps);
    expect(result.outcome).toBe('scheduled');
    const activation = T0 + 10 * SECOND + LEAD_MS;
    expect(result.key).toMatchObject({ activatesAt: activation, retiresAt: null });
    expect(result.retiring).toEqual([expect.objectContaining({ kid: first.kid, retiresAt: activation, removesAt: activation + RETENTION_MS })]);
    expect(await states()).toEqual([
      { kid: first.kid, state: 'active' },
      { kid: result.key.kid, state: 'next' },
    ]);
  });

  it('rotate with a next key already waiting reports it and changes nothing', async () => {
    await ensureActiveKey(deps);
    const scheduled = await rotate(deps);
    const before = await listKeys(database.handle.db);
    const again = await rotate(deps);
    expect(again).toEqual({ outcome: 'already scheduled', key: scheduled.key, retiring: [] });
    expect(await listKeys(database.handle.db)).toEqual(before);
  });

  it('rotate --now activates the waiting next key and retires the current one at once', async () => {
    const first = (await ensureActiveKey(deps))!;
    const scheduled = await rotate(deps);
    clock.advance(5 * SECOND);
    const now = clock.now();
    const result = await rotateNow(deps);
    expect(result.key.kid).toBe(scheduled.key.kid);
    expect(result.key.activatesAt).toBe(now);
    expect(result.retiring).toEqual([expect.objectContaining({ kid: first.kid, retiresAt: now, removesAt: now + RETENTION_MS })]);
    expect(await states()).toEqual([
      { kid: first.kid, state: 'retired' },
      { kid: scheduled.key.kid, state: 'active' },
    ]);
    clock.advance(RETENTION_MS);
    expect((await states())[0]).toEqual({ kid: first.kid, state: 'removed' });
  });

  it('rotate --now without a next key creates one active at once', async () => {
    const first = (await ensureActiveKey(deps))!;
    clock.set(T0 + 1000); // listKeys orders by activation time; make the order unambiguous
    const result = await rotateNow(deps);
    expect(result.key.kid).not.toBe(first.kid);
    expect(await states()).toEqual([
      { kid: first.kid, state: 'retired' },
      { kid: result.key.kid, state: 'active' },
    ]);
  });

  it('the scheduled check publishes a successor once the active key nears the rotation interval, once', async () => {
    const first = (await ensureActiveKey(deps))!;
    const dueAt = T0 + 3600 * SECOND - LEAD_MS;
    clock.set(dueAt - 1);
    expect(await rotateIfDue(deps)).toBe('not due');
    clock.set(dueAt);
    const outcomes = await Promise.all([rotateIfDue(deps), rotateIfDue(deps), rotateIfDue(deps)]);
    expect(outcomes.filter((o) => o === 'rotated')).toHaveLength(1);
    const keys = await listKeys(database.handle.db);
    expect(keys).toHaveLength(2);
    // The successor activates exactly when the first key reaches the interval; the first retires then.
    expect(keys[1]).toMatchObject({ activatesAt: T0 + 3600 * SECOND });
    expect(keys[0]).toMatchObject({ kid: first.kid, retiresAt: T0 + 3600 * SECOND });
    expect(await rotateIfDue(deps)).toBe('not due');
  });

  it('refuses to add a key under another KEY_ENCRYPTION_KEY, and adds nothing', async () => {
    await ensureActiveKey(deps);
    const wrong = { ...deps, box: new KeyBox('x'.repeat(40)) };
    await expect(rotate(wrong)).rejects.toBeInstanceOf(KeyDecryptionError);
    await expect(rotateNow(wrong)).rejects.toBeInstanceOf(KeyDecryptionError);
    expect(await listKeys(database.handle.db)).toHaveLength(1);
  });

  it('generates keys of the configured algorithm', async () => {
    for (const alg of ['EdDSA', 'RS256', 'PS256'] as const) {
      const result = await rotateNow(rotationFor(database.handle, config, clock, alg));
      expect(result.key.alg).toBe(alg);
      expect(result.key.publicJwk).toMatchObject({ alg, use: 'sig', kid: result.key.kid });
    }
  });
});
