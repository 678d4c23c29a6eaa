import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditWriter } from '../../src/audit/group-writer.js';
import { onAuditEvent } from '../../src/audit/listeners.js';
import type { AuditEvent } from '../../src/audit/event.js';
import { withTransaction } from '../../src/db/transaction.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';
import { auditRows } from './support.js';

const AUDIT_INSERT = /^insert into "?audit_events"?/;

describe('the audit group writer (audit/group-writer.ts) on a real database', () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;
  beforeAll(async () => {
    database = await createTestDatabase();
    recorder = new StatementRecorder(database.handle);
  });
  afterAll(async () => database?.destroy());

  const event = (marker: string, extra: Partial<AuditEvent> = {}): AuditEvent => ({ type: 'token_issued', clientId: 'writer-test', ip: '192.0.2.1', details: { marker }, ...extra });
  const markers = async (prefix: string) => (await auditRows(database.handle.db)).map((row) => String(row.details.marker)).filter((m) => m.startsWith(prefix));
  const inserts = (statements: string[]) => statements.filter((s) => AUDIT_INSERT.test(s));

  function capture() {
    const logged: string[] = [];
    const notified: string[] = [];
    const stop = onAuditEvent((e) => notified.push(String(e.details?.marker)));
    const log = { info: (details: object) => logged.push(String((details as { audit: AuditEvent }).audit.details?.marker)) };
    return { log, logged, notified, stop };
  }

  it('writes a burst of events with fewer INSERTs than events, every row, in submission order, then logs each', async () => {
    const writer = createAuditWriter(recorder.handle.db);
    const { log, logged, notified, stop } = capture();
    const names = Array.from({ length: 40 }, (_, i) => `burst-${String(i).padStart(2, '0')}`);
    const statements = await recorder.during(() => Promise.all(names.map((name) => writer.record(log, event(name)))));
    stop();
    expect(await markers('burst-')).toEqual(names);
    const count = inserts(statements).length;
    expect(count).toBeGreaterThan(1); // the first event went alone, at once
    expect(count).toBeLessThan(names.length);
    expect([...logged].sort()).toEqual(names);
    expect([...notified].sort()).toEqual(names);
  });

  it('answers a lone event with a lone INSERT (an idle writer adds no wait)', async () => {
    const writer = createAuditWriter(recorder.handle.db);
    const statements = await recorder.during(() => writer.record(undefined, event('lone')));
    expect(inserts(statements)).toHaveLength(1);
    expect(await markers('lone')).toEqual(['lone']);
  });

  it('mixes rows with and without an explicit time in one INSERT', async () => {
    const writer = createAuditWriter(recorder.handle.db);
    const at = new Date('2020-01-02T03:04:05Z');
    await Promise.all([writer.record(undefined, event('mixed-0')), writer.record(undefined, event('mixed-1', { at })), writer.record(undefined, event('mixed-2'))]);
    const rows = await database.handle.db.selectFrom('audit_events').select(['occurred_at', 'details']).where('client_id', '=', 'writer-test').orderBy('id').execute();
    const byMarker = new Map(rows.map((r) => [String((r.details as { marker: string }).marker), r.occurred_at]));
    expect(byMarker.get('mixed-1')!.toISOString()).toBe(at.toISOString());
    expect(byMarker.get('mixed-0')!.getFullYear()).toBeGreaterThan(2020);
    expect(byMarker.get('mixed-2')!.getFullYear()).toBeGreaterThan(2020);
  });

  it('stores awkward values exactly, each in its own column, when rows share an INSERT', async () => {
    const writer = createAuditWriter(recorder.handle.db);
    const awkward = 'quote " backslash \\ brace {} comma , newline \n tab \t NULL null \u00e9 \u{1F600}';
    const statements = await recorder.during(async () => {
      await Promise.all([
        writer.record(undefined, event('awkward-0')),
        writer.record(undefined, { type: 'login_failed', clientId: awkward, actorClientId: 'x"y', ip: `${awkward}${'9'.repeat(120)}`, details: { marker: 'awkward-1', text: awkward, count: 3, flag: false, none: null } }),
        writer.record(undefined, { type: 'token_issued', details: { marker: 'awkward-2' } }),
      ]);
    });
    expect(inserts(statements).length).toBeLessThan(3);
    const rows = await database.handle.db
      .selectFrom('audit_events')
      .select(['type', 'user_id', 'client_id', 'actor_client_id', 'ip', 'details'])
      .where(({ eb }) => eb(eb.ref('details', '->>').key('marker'), 'like', 'awkward-%'))
      .orderBy('id')
      .execute();
    expect(rows.map((row) => (row.details as { marker: string }).marker)).toEqual(['awkward-0', 'awkward-1', 'awkward-2']);
    expect(rows[1]).toEqual({
      type: 'login_failed',
      user_id: null,
      client_id: awkward,
      actor_client_id: 'x"y',
      ip: `${awkward}${'9'.repeat(120)}`.slice(0, 100),
      details: { marker: 'awkward-1', text: awkward, count: 3, flag: false, none: null },
    });
    expect(rows[2]).toMatchObject({ type: 'token_issued', client_id: null, actor_client_id: null, ip: null });
  });

  it('a lone UTF-16 surrogate in a text column (which JSON cannot carry into jsonb) still writes every row of the batch', async () => {
    const writer = createAuditWriter(recorder.handle.db);
    const outcomes = await Promise.allSettled([
      writer.record(undefined, event('surrogate-0')),
      writer.record(undefined, event('surrogate-1', { clientId: 'lone \ud800 surrogate' })),
      writer.record(undefined, event('surrogate-2')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const rows = await database.handle.db
      .selectFrom('audit_events')
      .select(['client_id', 'details'])
      .where(({ eb }) => eb(eb.ref('details', '->>').key('marker'), 'like', 'surrogate-%'))
      .orderBy('id')
      .execute();
    expect(rows.map((row) => [(row.details as { marker: string }).marker, row.client_id])).toEqual([
      ['surrogate-0', 'writer-test'],
      ['surrogate-1', 'lone \ufffd surrogate'],
      ['surrogate-2', 'writer-test'],
    ]);
  });

  it('a row Postgres refuses fails only its own record; the events that shared its INSERT are written and logged', async () => {
    const writer = createAuditWriter(recorder.handle.db);
    const { log, logged, stop } = capture();
    let outcomes: PromiseSettledResult<void>[] = [];
    const statements = await recorder.during(async () => {
      // The first goes alone; the five queued behind it share the next INSERT, poison included.
      const first = writer.record(log, event('poison-first'));
      const rest = ['poison-a', 'poison-b', 'poison-bad', 'poison-c', 'poison-d'].map((name) =>
        writer.record(log, event(name, name === 'poison-bad' ? { details: { marker: name, value: 'nul \u0000 byte' } } : {})),
      );
      outcomes = await Promise.allSettled([first, ...rest]);
    });
    stop();
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    // A data exception (class 22): the error handler answers it 400 as it did before batching.
    expect(String((outcomes[3] as PromiseRejectedResult).reason.code)).toMatch(/^22/);
    expect((await markers('poison-')).sort()).toEqual(['poison-a', 'poison-b', 'poison-c', 'poison-d', 'poison-first']);
    expect(logged.sort()).toEqual(['poison-a', 'poison-b', 'poison-c', 'poison-d', 'poison-first']);
    // One lone INSERT, one shared INSERT that failed, then one INSERT per row of the failed batch.
    expect(inserts(statements)).toHaveLength(1 + 1 + 5);
  });

  it('settle() resolves once every event submitted so far is written', async () => {
    const writer = createAuditWriter(recorder.handle.db);
    const names = Array.from({ length: 10 }, (_, i) => `settle-${i}`);
    for (const name of names) void writer.record(undefined, event(name));
    await writer.settle();
    expect((await markers('settle-')).sort()).toEqual(names.sort());
  });

  it('refuses to be built on a transaction: an event of a transaction is written in it, with recordAudit(trx)', async () => {
    await withTransaction(database.handle.db, async (trx) => {
      expect(() => createAuditWriter(trx)).toThrow(/recordAudit\(trx/);
    });
  });
});
