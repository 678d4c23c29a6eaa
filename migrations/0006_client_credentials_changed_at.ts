import { sql, type Kysely } from 'kysely';

/**
 * Tokens a client got through client_credentials die when its credentials change (secret
 * rotated without overlap, admin flag or grant types changed): they are dead when their `iat`
 * (whole seconds) is before this instant. Existing clients and new ones start at the epoch: no
 * token can predate a client, whose id is random and new.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('credentials_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`to_timestamp(0)`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('credentials_changed_at').execute();
}
