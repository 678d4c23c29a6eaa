import type { Kysely } from 'kysely';

/**
 * Sign-in hardening (issue 10 items 5 and 16):
 * - login_device_failures: failed logins made from a browser holding a valid device cookie,
 *   counted per cookie nonce instead of on the account; at the lockout threshold that cookie
 *   loses its exemption from the account lock.
 * - authorization_requests.login_session_id: the session whose login was made for this pending
 *   request, which satisfies its prompt=login and max_age.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_device_failures')
    .addColumn('nonce', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('failed_logins', 'integer', (c) => c.notNull())
    .addColumn('last_failed_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_device_failures_user_idx').on('login_device_failures').column('user_id').execute();
  await db.schema.alterTable('authorization_requests').addColumn('login_session_id', 'uuid').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('authorization_requests').dropColumn('login_session_id').execute();
  await db.schema.dropTable('login_device_failures').execute();
}
