import type { ColumnType } from 'kysely';

/** The jti of every accepted private_key_jwt assertion until it expires (migrations/0015); src/clients/assertion-jti-store.ts is its only reader. */
export interface ClientAssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface ClientAssertionTables {
  client_assertion_jtis: ClientAssertionJtisTable;
}
