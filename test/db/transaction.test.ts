import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { afterCommit, withTransaction } from '../../src/db/transaction.js';
import { recordAudit } from '../../src/audit/record.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('withTransaction and afterCommit', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.destroy());

  const auditCount = async (type: string) =>
    Number((await sql<{ n: number }>`select count(*)::int as n from audit_events where details->>'marker' = ${type}`.execute(database.handle.db)).rows[0]!.n);

  it('runs after-commit callbacks once the transaction has committed, in order', async () => {
    const seen: string[] = [];
    const result = await withTransaction(database.handle.db, async (trx) => {
      afterCommit(trx, () => seen.push('first'));
      afterCommit(trx, () => seen.push('second'));
      seen.push('work done');
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(['work done', 'first', 'second']);
  });

  it('never runs them when the transaction rolls back', async () => {
    const seen: string[] = [];
    await expect(
      withTransaction(database.handle.db, async (trx) => {
        afterCommit(trx, () => seen.push('logged'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([]);
  });

  it('runs a callback at once on the database itself (its statement has already committed)', () => {
    const seen: string[] = [];
    afterCommit(database.handle.db, () => seen.push('now'));
    expect(seen).toEqual(['now']);
  });

  it('refuses a transaction it did not open (it cannot know when that one commits)', async () => {
    await expect(database.handle.db.transaction().execute(async (trx) => afterCommit(trx, () => undefined))).rejects.toThrow(/withTransaction/);
  });

  it('recordAudit: row and log line inside a committed transaction, neither after a rollback', async () => {
    const lines: string[] = [];
    const log = { info: (_: object, message: string) => void lines.push(message) };
    await withTransaction(database.handle.db, async (trx) => {
      await recordAudit(trx, log, { type: 'admin_action', details: { marker: 'kept' } });
      expect(lines).toEqual([]); // not before the commit
    });
    expect(lines).toEqual(['audit admin_action']);
    expect(await auditCount('kept')).toBe(1);

    await expect(
      withTransaction(database.handle.db, async (trx) => {
        await recordAudit(trx, log, { type: 'admin_action', details: { marker: 'undone' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(lines).toEqual(['audit admin_action']);
    expect(await auditCount('undone')).toBe(0);
  });
});
