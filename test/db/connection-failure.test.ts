import { describe, expect, it } from 'vitest';
import { connectionFailure, databaseAddress } from '../../src/db/connection-failure.js';
import { MigrationError } from '../../src/db/migrate.js';

const URL_WITH_PASSWORD = 'postgres://latchkey:s3cr%40t-pw@db.internal:6543/latchkey';

const errorWith = (fields: { code?: string; message: string }) => Object.assign(new Error(fields.message), fields.code ? { code: fields.code } : {});

describe('connection failures, as the operator reads them', () => {
  it('names host:port, never the user or password', () => {
    expect(databaseAddress(URL_WITH_PASSWORD)).toBe('db.internal:6543');
    expect(databaseAddress('postgres://db.internal/x')).toBe('db.internal:5432');
    expect(databaseAddress('postgresql://u@[::1]:5433/x')).toBe('[::1]:5433');
  });

  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.1:6543' }, /connection refused/],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.internal' }, /no such host/],
    [{ code: '28P01', message: 'password authentication failed for user "latchkey"' }, /password authentication failed for user "latchkey"/],
    [{ code: '3D000', message: 'database "latchkey" does not exist' }, /database "latchkey" does not exist/],
    [{ code: '57P03', message: 'the database system is starting up' }, /starting up/],
    [{ message: 'timeout exceeded when trying to connect' }, /no answer within DB_TIMEOUT = 5 s/],
  ])('describes %j', (fields, reason) => {
    const described = connectionFailure(errorWith(fields), URL_WITH_PASSWORD, 5000);
    expect(described?.message).toMatch(/^cannot connect to the database at db\.internal:6543 \(.+\)$/);
    expect(described?.message).toMatch(reason);
  });

  it('finds the failure behind a MigrationError (the migrator could not start)', () => {
    const wrapped = new MigrationError('migrations could not run: connect ECONNREFUSED', { cause: errorWith({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }) });
    expect(connectionFailure(wrapped, URL_WITH_PASSWORD)?.message).toBe(
      'cannot connect to the database at db.internal:6543 (connection refused: is Postgres running and listening on that address?)',
    );
  });

  it('masks the password, raw or decoded, should a message ever carry it', () => {
    for (const leaked of ['s3cr%40t-pw', 's3cr@t-pw']) {
      const described = connectionFailure(errorWith({ code: '08006', message: `could not connect with ${leaked}` }), URL_WITH_PASSWORD);
      expect(described?.message).toBe('cannot connect to the database at db.internal:6543 (could not connect with ***)');
    }
  });

  it('leaves errors that are not about connecting alone', () => {
    expect(connectionFailure(errorWith({ code: '42P01', message: 'relation "x" does not exist' }), URL_WITH_PASSWORD)).toBeUndefined();
    expect(connectionFailure(new MigrationError('migration 0004 failed: syntax error'), URL_WITH_PASSWORD)).toBeUndefined();
    expect(connectionFailure('a string', URL_WITH_PASSWORD)).toBeUndefined();
  });
});
