import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { countDeviceFailure, findLoginCandidate, NO_USER_KEY } from '../../src/login/attempt-store.js';
import { loginKey } from '../../src/login/login-attempt.js';
import { readLoginInputs } from '../../src/login/login-inputs-store.js';
import { findPendingRequest, savePendingRequest } from '../../src/oauth/authorize/request-store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { genericPlan, readsOf } from '../helpers/generic-plan.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';

// POST /login reads the parked request and the login candidate in one statement
// (src/login/login-inputs-store.ts): it must read exactly what the two separate reads read.

describe('reading a login attempt in one statement', () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;
  let db: Kysely<Database>;
  let clientId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    recorder = new StatementRecorder(database.handle);
    db = database.handle.db;
    clientId = (await makeClient(db, { redirectUris: ['https://app.example.com/cb'] })).clientId;
  });
  afterAll(async () => database?.destroy());

  const park = (now: Date) => savePendingRequest(db, 'authorization_code', { clientId, scope: 'openid', loginHint: 'hint' }, now);

  it('reads what findPendingRequest and findLoginCandidate read, device failures included', async () => {
    const user = await makeUser(db, { username: 'Ines-Inputs' });
    const now = new Date();
    const requestId = await park(now);
    await countDeviceFailure(db, 'nonce-of-ines', user.id, now);
    await countDeviceFailure(db, 'nonce-of-ines', user.id, now);
    for (const nonce of ['', 'nonce-of-ines', 'another-nonce']) {
      const key = loginKey('  ines-INPUTS ');
      const inputs = await readLoginInputs(db, requestId, now, key, nonce);
      expect(inputs.pending).toEqual(await findPendingRequest(db, requestId, now));
      expect(inputs.candidate).toEqual(await findLoginCandidate(db, key, nonce));
      expect(inputs.candidate?.id).toBe(user.id);
      expect(inputs.candidate?.password_hash).toMatch(/^\$argon2id\$/);
      expect(inputs.candidate?.device_failures).toBe(nonce === 'nonce-of-ines' ? 2 : null);
    }
  });

  it('finds the account when the request has expired, and the request when no account has the name', async () => {
    const user = await makeUser(db);
    const parkedAt = new Date(Date.now() - 60 * 60 * 1000);
    const expired = await park(parkedAt);
    const expiredRead = await readLoginInputs(db, expired, new Date(), loginKey(user.username), '');
    expect(expiredRead.pending).toBeUndefined();
    expect(expiredRead.candidate?.id).toBe(user.id);

    const live = await park(new Date());
    for (const key of [loginKey('nobody-by-this-name'), NO_USER_KEY]) {
      const read = await readLoginInputs(db, live, new Date(), key, 'some-nonce');
      expect(read.pending?.id).toBe(live);
      expect(read.pending?.request).toMatchObject({ clientId, loginHint: 'hint' });
      expect(read.candidate).toBeUndefined();
    }
    const neither = await readLoginInputs(db, 'A'.repeat(32), new Date(), NO_USER_KEY, '');
    expect(neither).toEqual({ pending: undefined, candidate: undefined });
  });

  it('does not look anything up for a request id savePendingRequest cannot have made', async () => {
    const user = await makeUser(db);
    for (const hostile of [undefined, 42, ['x'], '', 'short', 'A'.repeat(31) + '!', 'A'.repeat(33), "' or 1=1 --aaaaaaaaaaaaaaaaaaaaaa"]) {
      const statements = await recorder.during(async () => {
        expect(await readLoginInputs(recorder.handle.db, hostile, new Date(), loginKey(user.username), '')).toEqual({ pending: undefined, candidate: undefined });
      });
      expect(statements).toEqual([]);
    }
  });

  it('reads the request, the account and its device failures by their keys in its generic plan, however many there are', async () => {
    const now = new Date();
    await sql`insert into users (id, username, password_hash, created_at, updated_at)
      select gen_random_uuid(), 'bulk-' || i, 'x', ${now}, ${now} from generate_series(1, 3000) as i`.execute(db);
    await sql`insert into authorization_requests (id, client_id, params, created_at, expires_at)
      select md5(i::text), ${clientId}, '{}'::jsonb, ${now}, ${new Date(now.getTime() + 60_000)} from generate_series(1, 3000) as i`.execute(db);
    await sql`analyze users, authorization_requests, login_device_failures`.execute(db);
    const requestId = await park(now);
    const statements = await recorder.during(() => readLoginInputs(recorder.handle.db, requestId, now, loginKey('bulk-7'), 'n'));
    expect(statements).toHaveLength(1);
    const plan = await genericPlan(db, statements[0]!);
    expect(readsOf(plan, 'users')).toEqual(['users_username_lower_key']);
    expect(readsOf(plan, 'authorization_requests')).toEqual(['authorization_requests_pkey']);
    const deviceReads = readsOf(plan, 'login_device_failures');
    expect(deviceReads).toHaveLength(1);
    // An empty table may be scanned; the nonce is its primary key.
    expect(['login_device_failures_pkey', 'Seq Scan']).toContain(deviceReads[0]);
  });
});
