import { sql, type Kysely } from 'kysely';

/**
 * RFC 8628 device authorization: one row per request a device made at /device_authorization.
 * Both codes are stored only as SHA-256 hashes (the device code is 256 random bits; the user code
 * is short, but it lives for minutes and guessing it online is held back by rate limits).
 * status moves pending -> approved | denied, and approved -> consumed when the device's poll at
 * /token takes the tokens (once); who approved, with which session, lands on the row with it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_authorizations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('device_code_hash', 'text', (c) => c.notNull().unique())
    // Unique over all rows, not just live ones: simpler, and with 20^8 codes a clash with a row
    // kept for replay detection is as unlikely as any other (the store retries once).
    .addColumn('user_code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'approved', 'denied', 'consumed')`))
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('session_id', 'uuid')
    .addColumn('auth_time', 'timestamptz')
    // RFC 8628 3.5: grows by 5 s on every slow_down, for that poll and all later ones.
    .addColumn('interval_seconds', 'integer', (c) => c.notNull().check(sql`interval_seconds > 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_polled_at', 'timestamptz')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('consumed_at', 'timestamptz')
    // The grant the approval became, so a replayed device code can revoke it.
    .addColumn('grant_id', 'uuid')
    // An approval always says who approved it, with which login.
    .addCheckConstraint(
      'device_authorizations_approval_has_user',
      sql`status not in ('approved', 'consumed') or (user_id is not null and session_id is not null and auth_time is not null)`,
    )
    .execute();
  await db.schema.createIndex('device_authorizations_expires_idx').on('device_authorizations').column('expires_at').execute();
  await db.schema.createIndex('device_authorizations_client_idx').on('device_authorizations').column('client_id').execute();
  await db.schema.createIndex('device_authorizations_user_idx').on('device_authorizations').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('device_authorizations').execute();
}
