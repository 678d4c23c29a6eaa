import type { Kysely } from 'kysely';
import { createCoalescer } from '../db/coalescer.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { Database } from '../db/types.js';
import type { AuditEvent } from './event.js';
import { logAudit, type AuditLog } from './record.js';
import { insertAuditEvent, insertAuditEvents } from './store.js';

/**
 * Group commit for audit events that belong to no transaction (a client_credentials token, a
 * refused admin call, a failed login). Each `record` resolves only once a multi-row INSERT holding
 * its row has committed, so a response that waits for it (a token) is never sent for an event the
 * database does not hold: a crash loses no event of a response anyone received, only those of
 * requests still in flight, whose responses die with the process. Concurrent requests share one
 * INSERT and one commit (one WAL flush) instead of paying one each.
 *
 * An event that describes a change made in a transaction is not for this writer:
 * `recordAudit(trx, …)` writes it in that transaction (ARCHITECTURE.md, storage rules).
 */
export interface AuditWriter {
  /** Writes the event (grouped with concurrent ones), then logs it and tells the listeners, as recordAudit does. */
  record(log: AuditLog | undefined, event: AuditEvent): Promise<void>;
  /** Resolves once every event submitted so far is written or failed (shutdown: before the database closes). */
  settle(): Promise<void>;
}

export interface AuditWriterOptions {
  /** Most rows in one INSERT. */
  maxBatch?: number;
  /** INSERTs running at once. */
  maxInFlight?: number;
}

type RowOutcome = { ok: true } | { ok: false; error: unknown };

const WRITTEN: RowOutcome = { ok: true };

/**
 * One INSERT in flight: at 50 concurrent clients on a pool of 10 it carried about 12 rows a commit,
 * against about 7 with two in flight (so 40 % fewer commits), and rows commit in submission order;
 * the throughput of the two was not distinguishable on the shared 2-core machine (README,
 * Performance). 256 rows is far above the batch sizes seen and keeps one statement's parameters
 * (7 a row) well under Postgres's limit.
 */
const DEFAULTS = { maxBatch: 256, maxInFlight: 1 };

export function createAuditWriter(db: Kysely<Database>, options: AuditWriterOptions = {}): AuditWriter {
  if (db.isTransaction) throw new Error('createAuditWriter: the group writer commits on its own; inside a transaction use recordAudit(trx, …)');

  async function writeBatch(events: AuditEvent[]): Promise<RowOutcome[]> {
    try {
      await insertAuditEvents(db, events);
      return events.map(() => WRITTEN);
    } catch (error) {
      if (events.length === 1 || isDatabaseUnavailable(error)) throw error;
      // One row Postgres refuses (a value it cannot store) must not fail the requests that happened
      // to share its statement: each row again on its own, so only the bad one fails.
      return Promise.all(events.map((event) => insertAuditEvent(db, event).then(() => WRITTEN, (rowError: unknown): RowOutcome => ({ ok: false, error: rowError }))));
    }
  }

  const coalescer = createCoalescer(writeBatch, { maxBatch: options.maxBatch ?? DEFAULTS.maxBatch, maxInFlight: options.maxInFlight ?? DEFAULTS.maxInFlight });
  return {
    async record(log, event) {
      const outcome = await coalescer.submit(event);
      if (!outcome.ok) throw outcome.error;
      logAudit(log, event);
    },
    settle: () => coalescer.settle(),
  };
}
