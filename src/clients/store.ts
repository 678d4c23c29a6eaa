import type { Queryable, Trx } from '../db/queryable.js';
import { sql } from 'kysely';
import type { ClientRow } from '../db/types.js';
import { jsonb } from '../db/json.js';
import { redirectUriPrefixes } from './browser-origins.js';
import { credentialsCutOff } from './credentials.js';
import { generateClientId, generateClientSecret, sha256Hex } from './secret.js';
import { authMethodNamed, type AuthMethodName } from './auth-methods/registry.js';
import type { GrantType } from './grant-types.js';
import type { ClientMetadata } from './schema.js';

/** A client as the rest of Latchkey sees it: its metadata (clients/schema.ts) and its credentials' state. */
export type Client = ClientMetadata & {
  clientId: string;
  /** SHA-256 of the secret (confidential clients); never leaves the server. */
  secretHash: string | null;
  previousSecretHash: string | null;
  previousSecretExpiresAt: Date | null;
  /** client_credentials tokens issued (iat) before this are dead; see credentials.ts. */
  credentialsChangedAt: Date;
  createdAt: Date;
};

export function toClient(row: ClientRow): Client {
  return {
    clientId: row.id,
    name: row.name,
    type: row.type,
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    // Only validated names are ever stored (clients/schema.ts; migrations/0009 checks the method's).
    grantTypes: row.grant_types as GrantType[],
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as AuthMethodName,
    scopes: row.scopes,
    origins: row.allowed_origins,
    refreshCookie: row.refresh_cookie,
    admin: row.is_admin,
    thirdParty: row.third_party,
    requireMfa: row.require_mfa ?? false,
    alwaysIssueRefresh: row.always_issue_refresh,
    resources: row.resources ?? [],
    defaultAudience: row.default_audience ?? null,
    dpopBoundAccessTokens: row.dpop_bound_access_tokens ?? false,
    jwksUri: row.jwks_uri ?? null,
    jwks: row.jwks ?? null,
    requirePushedAuthorizationRequests: row.require_par ?? false,
    secretHash: row.secret_hash,
    previousSecretHash: row.previous_secret_hash ?? null,
    previousSecretExpiresAt: row.previous_secret_expires_at ?? null,
    credentialsChangedAt: row.credentials_changed_at ?? new Date(0),
    createdAt: row.created_at,
  };
}

/** The columns a client's settings are stored in (everything but its id, type and secret). */
function settingsColumns(input: ClientMetadata) {
  return {
    name: input.name,
    redirect_uris: jsonb(input.redirectUris),
    post_logout_redirect_uris: jsonb(input.postLogoutRedirectUris),
    grant_types: jsonb(input.grantTypes),
    token_endpoint_auth_method: input.tokenEndpointAuthMethod,
    scopes: jsonb(input.scopes),
    allowed_origins: jsonb(input.origins),
    refresh_cookie: input.refreshCookie,
    is_admin: input.admin,
    third_party: input.thirdParty,
    require_mfa: input.requireMfa,
    always_issue_refresh: input.alwaysIssueRefresh,
    resources: jsonb(input.resources),
    default_audience: input.defaultAudience,
    dpop_bound_access_tokens: input.dpopBoundAccessTokens,
    jwks_uri: input.jwksUri,
    jwks: input.jwks === null ? null : jsonb(input.jwks),
    require_par: input.requirePushedAuthorizationRequests,
  };
}

/**
 * Creates a client. A confidential client's secret is returned here once and stored only hashed.
 * A private_key_jwt client proves its keys instead: it gets a random secret that nobody is shown
 * (every confidential row holds a hash, migrations/0001), so it has no usable secret until an
 * administrator rotates one (say, before switching it to client_secret_basic).
 */
export async function createClient(q: Queryable, input: ClientMetadata): Promise<{ client: Client; secret?: string }> {
  const secret = input.type === 'confidential' ? generateClientSecret() : undefined;
  const shown = authMethodNamed(input.tokenEndpointAuthMethod).credential === 'secret';
  const row = await q
    .insertInto('clients')
    .values({
      id: generateClientId(),
      type: input.type,
      secret_hash: secret ? sha256Hex(secret) : null,
      ...settingsColumns(input),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { client: toClient(row), secret: shown ? secret : undefined };
}

export async function findClient(q: Queryable, clientId: string): Promise<Client | undefined> {
  if (!/^[A-Za-z0-9._~-]{1,200}$/.test(clientId)) return undefined;
  const row = await findClientRow(q, clientId);
  return row && toClient(row);
}

export async function findClientRow(q: Queryable, clientId: string): Promise<ClientRow | undefined> {
  return q.selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirst();
}

/**
 * The client, its row locked until the caller's transaction ends: a read-modify-write (an admin
 * PATCH merging a body over the stored client) must not overwrite a change committed meanwhile
 * (say, a demotion).
 */
export async function lockClient(trx: Trx, clientId: string): Promise<Client | undefined> {
  if (!/^[A-Za-z0-9._~-]{1,200}$/.test(clientId)) return undefined;
  const row = await trx.selectFrom('clients').selectAll().where('id', '=', clientId).forUpdate().executeTakeFirst();
  return row && toClient(row);
}

export async function listClients(q: Queryable, page: { after?: string; limit: number }): Promise<Client[]> {
  let query = q.selectFrom('clients').selectAll().orderBy('id').limit(page.limit);
  if (page.after) query = query.where('id', '>', page.after);
  return (await query.execute()).map(toClient);
}

/**
 * Replaces a client's settings with an already validated full set (its type and secret stay).
 * Changing the admin flag or the client_credentials grant kills the client's client_credentials
 * tokens, decided in this one statement against the row as it is (no read-then-write race).
 */
export async function updateClient(q: Queryable, clientId: string, input: ClientMetadata, now: Date): Promise<Client | undefined> {
  const hasClientCredentials = input.grantTypes.includes('client_credentials');
  const row = await q
    .updateTable('clients')
    .set({
      ...settingsColumns(input),
      credentials_changed_at: sql<Date>`case
        when is_admin is distinct from ${input.admin}
          or (grant_types @> '["client_credentials"]'::jsonb) is distinct from ${hasClientCredentials}
        then ${credentialsCutOff(now)}::timestamptz
        else credentials_changed_at end`,
      updated_at: now,
    })
    .where('id', '=', clientId)
    .returningAll()
    .executeTakeFirst();
  return row && toClient(row);
}

/**
 * Gives a confidential client a new secret (returned once). The old one keeps working for
 * `overlapSeconds`; with 0 it stops at once and so do the client_credentials tokens it got (a
 * rotation without overlap answers a leak). With an overlap (a planned roll-over) they live out
 * their lifetime.
 */
export async function rotateClientSecret(q: Queryable, clientId: string, overlapSeconds: number, now: Date): Promise<{ client: Client; secret: string } | undefined> {
  const secret = generateClientSecret();
  const row = await q
    .updateTable('clients')
    .set((eb) => ({
      previous_secret_hash: overlapSeconds > 0 ? eb.ref('secret_hash') : null,
      previous_secret_expires_at: overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null,
      secret_hash: sha256Hex(secret),
      ...(overlapSeconds > 0 ? {} : { credentials_changed_at: credentialsCutOff(now) }),
      updated_at: now,
    }))
    .where('id', '=', clientId)
    .where('type', '=', 'confidential')
    .returningAll()
    .executeTakeFirst();
  return row && { client: toClient(row), secret };
}

/**
 * Whether any client registered this browser origin (CORS answers only those, with credentials;
 * which client may use it is checked per request once the client is known).
 */
/**
 * Whether any client accepts browser calls from `origin` (browser-origins.ts): registered with
 * --origin, or a public client with a redirect URI on it. What a CORS preflight, which names no
 * client, answers.
 */
export async function anyClientAllowsOrigin(q: Queryable, origin: string): Promise<boolean> {
  const { exact, prefixes } = redirectUriPrefixes(origin);
  const onRedirectOrigin = exact.length === 0
    ? sql<boolean>`false`
    : sql<boolean>`exists (select 1 from jsonb_array_elements_text(redirect_uris) as r(uri) where ${sql.join(
        [...exact.map((value) => sql`r.uri = ${value}`), ...prefixes.map((prefix) => sql`starts_with(r.uri, ${prefix})`)],
        sql` or `,
      )})`;
  const row = await q
    .selectFrom('clients')
    .select('id')
    .where(sql<boolean>`(allowed_origins @> ${JSON.stringify([origin])}::jsonb or (type = 'public' and ${onRedirectOrigin}))`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteClient(q: Queryable, clientId: string): Promise<boolean> {
  const result = await q.deleteFrom('clients').where('id', '=', clientId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Non-admin clients whose registered scopes include `scope` (the start-up check of reserved scopes). */
export async function findNonAdminClientsWithScope(q: Queryable, scope: string): Promise<{ clientId: string; name: string }[]> {
  const rows = await q
    .selectFrom('clients')
    .select(['id', 'name'])
    .where('is_admin', '=', false)
    .where(sql<boolean>`scopes @> ${JSON.stringify([scope])}::jsonb`)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ clientId: row.id, name: row.name }));
}
