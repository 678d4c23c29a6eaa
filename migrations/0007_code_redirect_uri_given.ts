import type { Kysely } from 'kysely';

/**
 * RFC 6749 4.1.3: the token request must repeat redirect_uri when the authorization request
 * carried it. A code remembers whether it did; codes issued before this column existed (they live
 * 60 s) are treated as if it did, the stricter reading.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('auth_codes')
    .addColumn('redirect_uri_given', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('auth_codes').dropColumn('redirect_uri_given').execute();
}
