import { sql, type Kysely } from 'kysely';

/**
 * Passkeys (WebAuthn Level 2 public-key credentials) and the challenges of their ceremonies.
 *
 * passkeys: one row per registered credential. credential_id is the authenticator's id
 * (base64url, unique across users: WebAuthn 7.1 step 25 refuses a credential registered
 * elsewhere). The public key is the COSE key as the authenticator sent it (base64url); it is
 * public, so it is stored as is. sign_count is the last signature counter seen (WebAuthn 6.1.1:
 * 32 bits unsigned, hence bigint). backup_eligible never changes after registration (BE flag);
 * backed_up (BS flag) is updated on every use.
 *
 * webauthn_challenges: a challenge issued to one browser, keyed by the SHA-256 of the random
 * value in that browser's challenge cookie, deleted by the statement that uses it (single use).
 * user_id says whose ceremony it is when that is known before it starts (registration from
 * /account, a passkey as second factor); a passwordless sign-in leaves it null.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('sign_count', 'bigint', (c) => c.notNull().check(sql`sign_count >= 0`))
    .addColumn('transports', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('backup_eligible', 'boolean', (c) => c.notNull())
    .addColumn('backed_up', 'boolean', (c) => c.notNull())
    .addColumn('aaguid', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('passkeys_user_idx').on('passkeys').column('user_id').execute();

  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('cookie_hash', 'text', (c) => c.primaryKey())
    .addColumn('challenge', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('register', 'sign_in', 'second_factor')`))
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webauthn_challenges_expires_idx').on('webauthn_challenges').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webauthn_challenges').execute();
  await db.schema.dropTable('passkeys').execute();
}
