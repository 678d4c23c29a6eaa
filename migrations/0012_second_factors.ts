import { sql, type Kysely } from 'kysely';

/**
 * Second factors and authentication levels (issue 13):
 * - user_totp: one authenticator-app secret per user (RFC 6238), sealed under KEY_ENCRYPTION_KEY;
 *   `confirmed_at` null while an enrolment waits for its first code; `last_used_step` is the
 *   highest time step accepted, so a code is never accepted twice (mfa/totp-service.ts).
 * - user_recovery_codes: one-time codes, stored as SHA-256 (they carry 80 random bits).
 * - users.failed_second_factors: wrong second-factor codes in a row; reaching the lockout
 *   threshold sets the same `locked_until` as wrong passwords. A correct password does not reset
 *   it (else an attacker who knows the password could alternate and guess codes for ever).
 * - amr (RFC 8176 method references, a JSON array) beside every auth_time: the browser session
 *   records how its user authenticated, and codes, device approvals and grants carry a snapshot
 *   to the ID tokens minted from them. Rows from before this migration were password sign-ins.
 * - clients.require_mfa: the client demands level 2 (urn:latchkey:loa:2) on every sign-in.
 * - authorization_requests loses its foreign key to clients: a sign-in for /account (kind
 *   `latchkey_account`, oauth/authorize/account-return.ts) is parked under Latchkey's built-in
 *   account client, which has no row. A request whose client was deleted meanwhile is refused on
 *   resume ("no longer registered"), and expires like any other.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_totp')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('secret_encrypted', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('last_used_step', 'bigint')
    .addColumn('last_used_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('user_recovery_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('user_recovery_codes_user_idx').on('user_recovery_codes').column('user_id').execute();

  await db.schema.alterTable('users').addColumn('failed_second_factors', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  for (const table of ['login_sessions', 'auth_codes', 'grants', 'device_authorizations']) {
    await db.schema
      .alterTable(table)
      .addColumn('amr', 'jsonb', (c) => c.notNull().defaultTo(sql`'["pwd"]'::jsonb`))
      .execute();
  }

  await db.schema.alterTable('clients').addColumn('require_mfa', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await sql`alter table authorization_requests drop constraint if exists authorization_requests_client_id_fkey`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from authorization_requests r where not exists (select 1 from clients c where c.id = r.client_id)`.execute(db);
  await sql`alter table authorization_requests add constraint authorization_requests_client_id_fkey foreign key (client_id) references clients (id) on delete cascade`.execute(db);
  await db.schema.alterTable('clients').dropColumn('require_mfa').execute();
  for (const table of ['login_sessions', 'auth_codes', 'grants', 'device_authorizations']) {
    await db.schema.alterTable(table).dropColumn('amr').execute();
  }
  await db.schema.alterTable('users').dropColumn('failed_second_factors').execute();
  await db.schema.dropTable('user_recovery_codes').execute();
  await db.schema.dropTable('user_totp').execute();
}
