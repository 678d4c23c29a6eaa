import type { Kysely } from 'kysely';
import type { Queryable, Trx } from './queryable.js';
import type { Database } from './types.js';

const afterCommitQueues = new WeakMap<Trx, (() => void)[]>();

/**
 * The one way to open a transaction (lint forbids `.transaction()` elsewhere). `work` runs in it;
 * the callbacks registered with afterCommit run once it has committed, in order, and never when
 * it rolls back (the error propagates instead).
 */
export async function withTransaction<T>(db: Kysely<Database>, work: (trx: Trx) => Promise<T>): Promise<T> {
  const queue: (() => void)[] = [];
  // eslint-disable-next-line no-restricted-syntax -- the helper itself
  const result = await db.transaction().execute(async (trx) => {
    afterCommitQueues.set(trx, queue);
    return work(trx);
  });
  for (const callback of queue) callback();
  return result;
}

/**
 * Runs `callback` once what `q` wrote is committed: after the surrounding withTransaction commits,
 * or at once when `q` is the database itself (its last statement has already committed). A
 * transaction opened some other way cannot say when it commits, so it is refused.
 */
export function afterCommit(q: Queryable, callback: () => void): void {
  const queue = afterCommitQueues.get(q as Trx);
  if (queue) queue.push(callback);
  else if (q.isTransaction) throw new Error('afterCommit: open the transaction with withTransaction (src/db/transaction.ts)');
  else callback();
}
