import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** RFC 9126 pushed authorization requests (migrations/0015); src/oauth/par/store.ts is their only reader. */
export interface PushedAuthorizationRequestsTable {
  /** SHA-256 (hex) of the request_uri's random part; the request_uri itself is never stored. */
  request_uri_hash: string;
  client_id: string;
  /** The pushed form parameters as sent (every value a string). */
  params: ColumnType<Record<string, string>, string, string>;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface PushedRequestTables {
  pushed_authorization_requests: PushedAuthorizationRequestsTable;
}
