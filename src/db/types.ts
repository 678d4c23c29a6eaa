import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { SignInTables } from './tables/sign-in.js';
import type { DeviceTables } from './tables/device.js';
import type { PasskeyTables } from './tables/passkeys.js';
import type { SecondFactorTables } from './tables/second-factors.js';
import type { ClientAssertionTables } from './tables/client-assertions.js';
import type { PushedRequestTables } from './tables/pushed-requests.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb columns are written as JSON text (see db/json.ts) and read back parsed. */
type JsonArray = ColumnType<string[], string, string>;

export interface UsersTable {
  id: string;
  username: string;
  email: string | null;
  email_verified: Generated<boolean>;
  name: string | null;
  password_hash: string;
  disabled: Generated<boolean>;
  failed_logins: Generated<number>;
  /** Wrong second-factor codes in a row (migrations/0012); reset only by a correct code. */
  failed_second_factors: Generated<number>;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** A JWK Set as stored in clients.jwks: public keys only (checked before it is written: src/clients/jwks.ts). */
export type JsonWebKeySetValue = {
  keys: Record<string, unknown>[];
};

export interface ClientsTable {
  id: string;
  name: string;
  type: 'confidential' | 'public';
  secret_hash: string | null;
  redirect_uris: JsonArray;
  post_logout_redirect_uris: JsonArray;
  grant_types: JsonArray;
  /** RFC 7591 name (clients/auth-methods/registry.ts); the store always writes it, the default (migrations/0009) serves rows written by hand. */
  token_endpoint_auth_method: ColumnType<string, string | undefined, string>;
  scopes: JsonArray;
  allowed_origins: JsonArray;
  refresh_cookie: Generated<boolean>;
  is_admin: Generated<boolean>;
  third_party: Generated<boolean>;
  always_issue_refresh: Generated<boolean>;
  /** Every sign-in for this client must reach urn:latchkey:loa:2 (migrations/0012). */
  require_mfa: Generated<boolean>;
  resources: ColumnType<string[], string | undefined, string>;
  default_audience: string | null;
  previous_secret_hash: ColumnType<string | null, string | null | undefined, string | null>;
  previous_secret_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** client_credentials tokens with an `iat` before this are dead (see migrations/0006). */
  credentials_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** RFC 9449 5.2: /token refuses this client's requests without a DPoP proof (migrations/0014). */
  dpop_bound_access_tokens: Generated<boolean>;
  /** private_key_jwt clients: where their public keys are (https), or the keys themselves; exactly one (migrations/0015). */
  jwks_uri: ColumnType<string | null, string | null | undefined, string | null>;
  jwks: ColumnType<JsonWebKeySetValue | null, string | null | undefined, string | null>;
  /** RFC 9126 6 require_pushed_authorization_requests. */
  require_par: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** A public JWK as stored (jsonb written as JSON text, read back parsed). */
type JsonObject = ColumnType<Record<string, unknown>, string, string>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: JsonObject;
  /** crypto-box format `v1.<iv>.<tag>.<ciphertext>`; never the plain private key. */
  private_key_encrypted: string;
  created_at: Timestamp;
  activates_at: Timestamp;
  retires_at: NullableTimestamp;
  removes_at: NullableTimestamp;
}

/** Accepted DPoP proofs, until they could no longer be accepted anyway (dpop/replay-store.ts). */
export interface DpopProofsTable {
  key: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface Database extends SignInTables, DeviceTables, ClientAssertionTables, PushedRequestTables, SecondFactorTables, PasskeyTables {
  users: UsersTable;
  dpop_proofs: DpopProofsTable;
  clients: ClientsTable;
  signing_keys: SigningKeysTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type ClientRow = Selectable<ClientsTable>;
export type NewClientRow = Insertable<ClientsTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;
export type NewSigningKeyRow = Insertable<SigningKeysTable>;
