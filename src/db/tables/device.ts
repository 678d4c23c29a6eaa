import type { ColumnType, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'consumed';

/** RFC 8628 device authorizations (migrations/0010); src/device/store.ts is their only reader. */
export interface DeviceAuthorizationsTable {
  id: string;
  device_code_hash: string;
  user_code_hash: string;
  client_id: string;
  scope: string;
  audience: string;
  status: ColumnType<DeviceAuthorizationStatus, DeviceAuthorizationStatus | undefined, DeviceAuthorizationStatus>;
  user_id: Nullable<string>;
  session_id: Nullable<string>;
  auth_time: NullableTimestamp;
  amr: ColumnType<string[], string | undefined, string>;
  interval_seconds: number;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_polled_at: NullableTimestamp;
  decided_at: NullableTimestamp;
  consumed_at: NullableTimestamp;
  grant_id: Nullable<string>;
}

export interface DeviceTables {
  device_authorizations: DeviceAuthorizationsTable;
}

export type DeviceAuthorizationRow = Selectable<DeviceAuthorizationsTable>;
