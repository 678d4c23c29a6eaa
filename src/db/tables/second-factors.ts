import type { ColumnType, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** One authenticator-app secret per user (migrations/0012); users/totp-store.ts is its only reader. */
export interface UserTotpTable {
  user_id: string;
  /** crypto-box format `v1.<iv>.<tag>.<ciphertext>` (mfa/totp-secret.ts); never the plain secret. */
  secret_encrypted: string;
  created_at: Timestamp;
  /** Null while the enrolment waits for its first code: not yet a factor. */
  confirmed_at: NullableTimestamp;
  /** The highest RFC 6238 time step accepted (bigint, read back as a string by pg). */
  last_used_step: ColumnType<string | number | null, number | null | undefined, number | null>;
  last_used_at: NullableTimestamp;
}

/** One-time recovery codes (users/recovery-code-store.ts). */
export interface UserRecoveryCodesTable {
  code_hash: string;
  user_id: string;
  created_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface SecondFactorTables {
  user_totp: UserTotpTable;
  user_recovery_codes: UserRecoveryCodesTable;
}

export type UserTotpRow = Selectable<UserTotpTable>;
