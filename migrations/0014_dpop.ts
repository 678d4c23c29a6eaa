import type { Kysely } from 'kysely';

/**
 * DPoP (RFC 9449):
 * - `dpop_proofs`: every accepted proof, by key thumbprint and jti (hashed), until it could no
 *   longer be accepted anyway; the primary key makes a replay lose (src/dpop/replay-store.ts).
 * - `clients.dpop_bound_access_tokens` (RFC 9449 5.2 client metadata): /token refuses this
 *   client's requests without a proof.
 * - `grants.dpop_jkt`: the key a public client's refresh family is bound to (null: unbound).
 * - `auth_codes.dpop_jkt`: the key /authorize's `dpop_jkt` bound the code to (RFC 9449 10).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('dpop_proofs')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dpop_proofs_expires_idx').on('dpop_proofs').column('expires_at').execute();
  await db.schema.alterTable('clients').addColumn('dpop_bound_access_tokens', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await db.schema.alterTable('grants').addColumn('dpop_jkt', 'text').execute();
  await db.schema.alterTable('auth_codes').addColumn('dpop_jkt', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('auth_codes').dropColumn('dpop_jkt').execute();
  await db.schema.alterTable('grants').dropColumn('dpop_jkt').execute();
  await db.schema.alterTable('clients').dropColumn('dpop_bound_access_tokens').execute();
  await db.schema.dropTable('dpop_proofs').execute();
}
