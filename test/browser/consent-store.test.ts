import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasConsent, recordConsent } from '../../src/browser/consent-store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';

describe('consent store', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.destroy());

  it('adds scopes to what was granted, sorted and without duplicates', async () => {
    const db = database.handle.db;
    const user = await makeUser(db);
    const { clientId } = await makeClient(db, { redirectUris: ['https://app.example.com/cb'] });
    const at = new Date('2030-01-01T00:00:00Z');
    await recordConsent(db, user.id, clientId, ['profile', 'openid'], at);
    await recordConsent(db, user.id, clientId, ['email', 'openid'], at);
    expect(await hasConsent(db, user.id, clientId, ['openid', 'profile', 'email'])).toBe(true);
    expect(await hasConsent(db, user.id, clientId, ['offline_access'])).toBe(false);
    const row = await db.selectFrom('consents').select('scopes').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.scopes).toEqual(['email', 'openid', 'profile']);
  });

  it('keeps every scope when several tabs consent at once', async () => {
    const db = database.handle.db;
    const user = await makeUser(db);
    const { clientId } = await makeClient(db, { redirectUris: ['https://app.example.com/cb'] });
    const scopes = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    await Promise.all(scopes.map((scope) => recordConsent(db, user.id, clientId, [scope], new Date('2030-01-01T00:00:00Z'))));
    expect(await hasConsent(db, user.id, clientId, scopes)).toBe(true);
  });
});
