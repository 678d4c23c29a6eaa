import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** Registered WebAuthn credentials (migrations/0013); src/users/passkey-store.ts is their only reader. */
export interface PasskeysTable {
  id: string;
  user_id: string;
  credential_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  /** bigint: pg returns it as a string, PGlite as a number; the store converts. */
  sign_count: ColumnType<string | number, number, number>;
  transports: ColumnType<string[], string, string>;
  backup_eligible: boolean;
  backed_up: boolean;
  aaguid: string;
  name: string;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
}

export type ChallengePurpose = 'register' | 'sign_in' | 'second_factor';

/** Single-use WebAuthn challenges bound to a browser cookie (migrations/0013; src/passkeys/challenge-store.ts). */
export interface WebauthnChallengesTable {
  cookie_hash: string;
  challenge: string;
  purpose: ChallengePurpose;
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface PasskeyTables {
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
}
