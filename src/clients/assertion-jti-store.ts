import type { Queryable } from '../db/queryable.js';

/**
 * RFC 7523 3 item 7: a client assertion's jti is used once. The primary key (client_id, jti)
 * decides it in one statement: of two concurrent inserts of the same pair, Postgres lets exactly
 * one write the row, and the other gets no row back. Rows are kept until the assertion expires
 * (then exp itself refuses it) and the maintenance sweep removes them (maintenance/cleanup.ts).
 */
export async function consumeAssertionJti(q: Queryable, clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
  const inserted = await q
    .insertInto('client_assertion_jtis')
    .values({ client_id: clientId, jti, expires_at: expiresAt })
    .onConflict((conflict) => conflict.columns(['client_id', 'jti']).doNothing())
    .returning('jti')
    .executeTakeFirst();
  return inserted !== undefined;
}
