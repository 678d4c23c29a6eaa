import type { Kysely } from 'kysely';
import type { ClientRow, Database } from '../db/types.js';
import { jsonb } from '../db/json.js';
import { generateClientId, generateClientSecret, sha256Hex } from './secret.js';
import type { NewClient } from './schema.js';

/** A client as the rest of Latchkey sees it (never its secret hash). */
export interface Client {
  clientId: string;
  name: string;
  type: 'confidential' | 'public';
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  origins: string[];
  refreshCookie: boolean;
  admin: boolean;
  thirdParty: boolean;
  alwaysIssueRefresh: boolean;
  /** RFC 8707 resources the client may name; each becomes an access-token audience. */
  resources: string[];
  defaultAudience: string | null;
  /** SHA-256 of the secret (confidential clients); never leaves the server. */
  secretHash: string | null;
  createdAt: Date;
}

export function toClient(row: ClientRow): Client {
  return {
    clientId: row.id,
    name: row.name,
    type: row.type,
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    grantTypes: row.grant_types,
    scopes: row.scopes,
    origins: row.allowed_origins,
    refreshCookie: row.refresh_cookie,
    admin: row.is_admin,
    thirdParty: row.third_party,
    alwaysIssueRefresh: row.always_issue_refresh,
    resources: row.resources ?? [],
    defaultAudience: row.default_audience ?? null,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
  };
}

/** Creates a client. A confidential client's secret is returned here once and stored only hashed. */
export async function createClient(db: Kysely<Database>, input: NewClient): Promise<{ client: Client; secret?: string }> {
  const secret = input.type === 'confidential' ? generateClientSecret() : undefined;
  const row = await db
    .insertInto('clients')
    .values({
      id: generateClientId(),
      name: input.name,
      type: input.type,
      secret_hash: secret ? sha256Hex(secret) : null,
      redirect_uris: jsonb(input.redirectUris),
      post_logout_redirect_uris: jsonb(input.postLogoutRedirectUris),
      grant_types: jsonb(input.grantTypes),
      scopes: jsonb(input.scopes),
      allowed_origins: jsonb(input.origins),
      refresh_cookie: input.refreshCookie,
      is_admin: input.admin,
      third_party: input.thirdParty,
      always_issue_refresh: input.alwaysIssueRefresh,
      resources: jsonb(input.resources),
      default_audience: input.defaultAudience ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { client: toClient(row), secret };
}

export async function findClient(db: Kysely<Database>, clientId: string): Promise<Client | undefined> {
  if (clientId.length > 200) return undefined;
  const row = await findClientRow(db, clientId);
  return row && toClient(row);
}

export async function findClientRow(db: Kysely<Database>, clientId: string): Promise<ClientRow | undefined> {
  return db.selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirst();
}
