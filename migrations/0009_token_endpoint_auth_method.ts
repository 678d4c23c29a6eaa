import { sql, type Kysely } from 'kysely';

/**
 * Each client registers how it authenticates at /token, /revoke and /introspect (RFC 7591 2
 * token_endpoint_auth_method), and only that method is accepted (issue 11 item 2). Existing
 * clients keep working as they mostly did: public ones get `none`, confidential ones
 * `client_secret_basic` (RFC 7591's default). A confidential client that sends its secret in the
 * body must be switched to client_secret_post (README, Upgrading).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The default only serves rows written by hand; Latchkey always names the method.
  await db.schema.alterTable('clients').addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull().defaultTo('client_secret_basic')).execute();
  await sql`update clients set token_endpoint_auth_method = 'none' where type = 'public'`.execute(db);
  // A public client has no secret to present, and a confidential one must present it.
  await db.schema
    .alterTable('clients')
    .addCheckConstraint('clients_auth_method_matches_type', sql`(type = 'public') = (token_endpoint_auth_method = 'none')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropConstraint('clients_auth_method_matches_type').execute();
  await db.schema.alterTable('clients').dropColumn('token_endpoint_auth_method').execute();
}
