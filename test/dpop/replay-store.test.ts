import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { proofKey as replayKey, recordProofsUsed } from '../../src/dpop/replay-store.js';
import { sweepExpired } from '../../src/maintenance/cleanup.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('the DPoP proof replay table', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  const now = new Date();
  const later = new Date(now.getTime() + 120_000);

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.handle.db;
  });
  afterAll(async () => database?.destroy());

  it('records a proof once: a second use, in a later or the same batch, is a replay', async () => {
    const [a, b] = [replayKey('jkt-1', 'jti-a'), replayKey('jkt-1', 'jti-b')];
    expect(await recordProofsUsed(db, [{ key: a, expiresAt: later }])).toEqual([true]);
    expect(await recordProofsUsed(db, [{ key: a, expiresAt: later }, { key: b, expiresAt: later }, { key: b, expiresAt: later }])).toEqual([false, true, false]);
  });

  it('scopes a jti to its key: another key may use the same jti', () => {
    expect(replayKey('jkt-1', 'same')).not.toBe(replayKey('jkt-2', 'same'));
  });

  it('of concurrent uses of one proof exactly one records it', async () => {
    const key = replayKey('jkt-race', 'jti');
    const results = await Promise.all(Array.from({ length: 8 }, () => recordProofsUsed(db, [{ key, expiresAt: later }])));
    expect(results.flat().filter(Boolean)).toHaveLength(1);
  });

  it('is swept once the proofs could no longer be accepted', async () => {
    const expired = replayKey('jkt-old', 'jti');
    await recordProofsUsed(db, [{ key: expired, expiresAt: new Date(now.getTime() - 1000) }]);
    const removed = await sweepExpired(db, now);
    expect(removed.dpop_proofs).toBeGreaterThanOrEqual(1);
    const left = await db.selectFrom('dpop_proofs').select('key').execute();
    expect(left.map((row) => row.key)).not.toContain(expired);
    expect(left.map((row) => row.key)).toContain(replayKey('jkt-1', 'jti-a'));
  });
});
