import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { sweepExpired } from '../../src/maintenance/cleanup.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient } from '../helpers/fixtures.js';
import { authorizeParams, authorizeUrl, pkcePair, postForm } from '../helpers/flow.js';

const REDIRECT = 'https://app.example.com/cb';

async function pendingRequests(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('authorization_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('/authorize is rate-limited per IP (RATE_LIMIT_AUTHORIZE)', () => {
  let server: TestServer;
  let clientId: string;
  const get = (ip: string) =>
    fetch(authorizeUrl(server.url, authorizeParams(clientId, REDIRECT, pkcePair())), { redirect: 'manual', headers: { 'x-forwarded-for': ip } });

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_AUTHORIZE: '5', TRUST_PROXY: '1' });
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  it('answers 429 as an HTML page with Retry-After after the limit, and parks no more requests', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get('203.0.113.50')).status);
    expect(statuses).toEqual([303, 303, 303, 303, 303]);
    expect(await pendingRequests(server.database.db)).toBe(5);

    const limited = await get('203.0.113.50');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('location')).toBeNull();
    expect(limited.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const body = await limited.text();
    expect(body).toMatch(/<title>Too many attempts · Latchkey<\/title>/);
    expect(body).not.toMatch(/stack|Error:/);

    // POST /authorize shares the count.
    const viaPost = await postForm(`${server.url}/authorize`, authorizeParams(clientId, REDIRECT, pkcePair()), { 'x-forwarded-for': '203.0.113.50' });
    expect(viaPost.status).toBe(429);
    expect(await pendingRequests(server.database.db)).toBe(5);
  });

  it('counts each client IP on its own', async () => {
    expect((await get('203.0.113.51')).status).toBe(303);
  });
});

describe('RATE_LIMIT_AUTHORIZE=0 turns the limit off', () => {
  let server: TestServer;
  let clientId: string;
  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_AUTHORIZE: '0' });
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  it('lets 150 requests through (more than the default 120 per minute)', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 150; i++) statuses.add((await fetch(authorizeUrl(server.url, authorizeParams(clientId, REDIRECT, pkcePair())), { redirect: 'manual' })).status);
    expect([...statuses]).toEqual([303]);
  });
});

describe('cleanup keeps up with a backlog', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.handle.db;
  });
  afterAll(async () => database?.destroy());

  it('removes 120 000 expired pending requests in one sweep, and keeps the live ones', { timeout: 180_000 }, async () => {
    const { clientId } = await makeClient(db, { redirectUris: [REDIRECT] });
    const now = new Date();
    await sql`
      insert into authorization_requests (id, client_id, params, created_at, expires_at)
      select 'flood-' || n, ${clientId}, '{}'::jsonb, ${new Date(now.getTime() - 3_600_000)}, ${new Date(now.getTime() - 1000)}
      from generate_series(1, 120000) as n`.execute(db);
    await sql`
      insert into authorization_requests (id, client_id, params, created_at, expires_at)
      select 'live-' || n, ${clientId}, '{}'::jsonb, ${now}, ${new Date(now.getTime() + 600_000)}
      from generate_series(1, 10) as n`.execute(db);

    const removed = await sweepExpired(db, now);
    expect(removed.authorization_requests).toBe(120_000);
    expect(await pendingRequests(db)).toBe(10);
  });
});
