import type { Kysely } from 'kysely';

/** A rotated client secret may keep working for an overlap, so deployments can roll over. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('previous_secret_hash', 'text')
    .addColumn('previous_secret_expires_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('previous_secret_hash').dropColumn('previous_secret_expires_at').execute();
}
