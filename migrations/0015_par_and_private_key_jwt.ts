import { sql, type Kysely } from 'kysely';

/**
 * Issue 14 items 2 and 3: pushed authorization requests (RFC 9126) and private_key_jwt client
 * authentication (RFC 7523, OpenID Connect Core 9).
 *
 * clients: a private_key_jwt client registers its public keys either by reference (`jwks_uri`,
 * fetched and cached: src/clients/remote-jwks.ts) or by value (`jwks`), exactly one of the two;
 * `require_par` refuses its /authorize requests that were not pushed first (RFC 9126 6).
 *
 * client_assertion_jtis: every accepted client assertion's jti, per client, until the assertion
 * has expired (RFC 7523 3 item 7): the primary key makes its single use one INSERT.
 *
 * pushed_authorization_requests: a pushed request's parameters under the SHA-256 of its
 * request_uri's random part, bound to the client that pushed it, used once (DELETE … RETURNING).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('jwks_uri', 'text')
    .addColumn('jwks', 'jsonb')
    .addColumn('require_par', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .alterTable('clients')
    .addCheckConstraint(
      'clients_private_key_jwt_has_keys',
      sql`(token_endpoint_auth_method = 'private_key_jwt') = (jwks_uri is not null or jwks is not null) and (jwks_uri is null or jwks is null)`,
    )
    .execute();

  await db.schema
    .createTable('client_assertion_jtis')
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('client_assertion_jtis_pkey', ['client_id', 'jti'])
    .execute();
  await db.schema.createIndex('client_assertion_jtis_expires_idx').on('client_assertion_jtis').column('expires_at').execute();

  await db.schema
    .createTable('pushed_authorization_requests')
    .addColumn('request_uri_hash', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pushed_authorization_requests_expires_idx').on('pushed_authorization_requests').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('pushed_authorization_requests').execute();
  await db.schema.dropTable('client_assertion_jtis').execute();
  await db.schema.alterTable('clients').dropConstraint('clients_private_key_jwt_has_keys').execute();
  await db.schema.alterTable('clients').dropColumn('require_par').dropColumn('jwks').dropColumn('jwks_uri').execute();
}
