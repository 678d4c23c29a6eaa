import type { ColumnType, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** RFC 8176 authentication method references, as JSON text (db/json.ts); '["pwd"]' for rows from before migrations/0012. */
export type AmrColumn = ColumnType<string[], string | undefined, string>;

export interface LoginSessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  auth_time: Timestamp;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ended_at: NullableTimestamp;
  ip: string | null;
  user_agent: string | null;
  amr: AmrColumn;
}

export interface AuthorizationRequestsTable {
  id: string;
  client_id: string;
  params: ColumnType<Record<string, string>, string, string>;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** The session whose login was made for this request (it satisfies prompt=login and max_age). */
  login_session_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Failed logins from a browser with a valid device cookie, counted per cookie nonce. */
export interface LoginDeviceFailuresTable {
  nonce: string;
  user_id: string;
  failed_logins: number;
  last_failed_at: Timestamp;
}

export interface ConsentsTable {
  user_id: string;
  client_id: string;
  scopes: ColumnType<string[], string, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GrantsTable {
  id: string;
  client_id: string;
  user_id: string | null;
  session_id: string | null;
  scope: string;
  audience: string;
  auth_time: NullableTimestamp;
  amr: AmrColumn;
  nonce: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp;
  idle_expires_at: Timestamp;
  absolute_expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
  last_consumed_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** The DPoP key (RFC 7638 thumbprint) a public client's refresh family is bound to; null: unbound. */
  dpop_jkt: ColumnType<string | null, string | null | undefined, string | null>;
  ip: string | null;
  user_agent: string | null;
}

export interface AuthCodesTable {
  code_hash: string;
  client_id: string;
  user_id: string;
  session_id: string;
  redirect_uri: string;
  /** Whether the authorization request named redirect_uri (then the exchange must repeat it). */
  redirect_uri_given: ColumnType<boolean, boolean | undefined, boolean>;
  scope: string;
  audience: string;
  nonce: string | null;
  code_challenge: string;
  /** RFC 9449 10: the DPoP key the code is bound to (/authorize's dpop_jkt); null: unbound. */
  dpop_jkt: ColumnType<string | null, string | null | undefined, string | null>;
  auth_time: Timestamp;
  amr: AmrColumn;
  created_at: Timestamp;
  expires_at: Timestamp;
  consumed_at: NullableTimestamp;
  grant_id: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  grant_id: string;
  created_at: Timestamp;
  consumed_at: NullableTimestamp;
}

export interface GrantAccessTokensTable {
  jti: string;
  grant_id: string;
  expires_at: Timestamp;
}

export interface RevokedJtisTable {
  jti: string;
  expires_at: Timestamp;
  revoked_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AuditEventsTable {
  id: ColumnType<string, never, never>;
  occurred_at: ColumnType<Date, Date | string | undefined, never>;
  type: string;
  user_id: string | null;
  client_id: string | null;
  actor_client_id: string | null;
  ip: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
}

export interface SignInTables {
  audit_events: AuditEventsTable;
  login_sessions: LoginSessionsTable;
  authorization_requests: AuthorizationRequestsTable;
  login_device_failures: LoginDeviceFailuresTable;
  consents: ConsentsTable;
  grants: GrantsTable;
  auth_codes: AuthCodesTable;
  refresh_tokens: RefreshTokensTable;
  grant_access_tokens: GrantAccessTokensTable;
  revoked_jtis: RevokedJtisTable;
}

export type LoginSessionRow = Selectable<LoginSessionsTable>;
export type GrantRow = Selectable<GrantsTable>;
export type AuthCodeRow = Selectable<AuthCodesTable>;
