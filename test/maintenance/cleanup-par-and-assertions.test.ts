import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { sweepExpired } from '../../src/maintenance/cleanup.js';
import { consumeAssertionJti } from '../../src/clients/assertion-jti-store.js';
import { savePushedRequest, takePushedRequest } from '../../src/oauth/par/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient } from '../helpers/fixtures.js';

const MINUTE = 60_000;

describe('the maintenance sweep and the PAR / client-assertion tables', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let clientId: string;
  let otherClientId: string;
  const now = new Date();
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.handle.db;
    clientId = (await makeClient(db, { redirectUris: ['https://a.example/cb'] })).clientId;
    otherClientId = (await makeClient(db, { redirectUris: ['https://a.example/cb'] })).clientId;
  });
  afterAll(async () => database?.destroy());

  it('records a jti once per client: a second use is refused, another client’s same jti is not', async () => {
    expect(await consumeAssertionJti(db, clientId, 'jti-1', at(MINUTE))).toBe(true);
    expect(await consumeAssertionJti(db, clientId, 'jti-1', at(MINUTE))).toBe(false);
    expect(await consumeAssertionJti(db, otherClientId, 'jti-1', at(MINUTE))).toBe(true);
    const racing = await Promise.all(Array.from({ length: 8 }, () => consumeAssertionJti(db, clientId, 'jti-race', at(MINUTE))));
    expect(racing.filter(Boolean)).toHaveLength(1);
  });

  it('removes expired jtis and pushed requests, keeps live ones', async () => {
    await consumeAssertionJti(db, clientId, 'expired', at(-MINUTE));
    const live = await savePushedRequest(db, clientId, { response_type: 'code' }, now, 60);
    await savePushedRequest(db, clientId, { response_type: 'code' }, at(-5 * MINUTE), 60);
    const removed = await sweepExpired(db, now);
    expect(removed.client_assertion_jtis).toBe(1);
    expect(removed.pushed_authorization_requests).toBe(1);
    const jtis = (await db.selectFrom('client_assertion_jtis').select('jti').where('client_id', '=', clientId).execute()).map((r) => r.jti).sort();
    expect(jtis).toEqual(['jti-1', 'jti-race']);
    expect(await takePushedRequest(db, live, clientId, now)).toEqual({ response_type: 'code' });
  });
});
