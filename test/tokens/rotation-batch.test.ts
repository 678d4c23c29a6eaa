import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/opaque-token.js';
import { addRefreshToken, createGrant } from '../../src/tokens/grant-store.js';
import { rotateRefreshTokens, type RotationInput } from '../../src/tokens/refresh-store.js';
import { successorRefreshToken } from '../../src/tokens/refresh-successor.js';
import { rotationBatcher } from '../../src/tokens/rotation-batcher.js';
import { withTransaction } from '../../src/db/transaction.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { waitUntil } from '../helpers/wait-until.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { rotationInput } from '../helpers/rotation-input.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';

const AUDIENCE = 'https://api.example.com';
const key = randomBytes(32);

// Issue 12: concurrent refreshes share one statement and one commit. Each must keep the outcome it
// would have alone: its own family, its own client's scopes, its own jti and audit row; a
// duplicate, a foreign or an unknown token beside it changes nothing for the others.
describe('several rotations in one statement', () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;
  let userId: string;
  let clientA: string;
  let clientB: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    recorder = new StatementRecorder(database.handle);
    userId = (await makeUser(database.handle.db, { username: 'batch' })).id;
    clientA = (await makeClient(database.handle.db, { redirectUris: ['https://a.example.com/cb'], scopes: ['openid', 'profile', 'offline_access'] })).clientId;
    clientB = (await makeClient(database.handle.db, { redirectUris: ['https://b.example.com/cb'], scopes: ['openid', 'profile', 'offline_access'] })).clientId;
  });
  afterAll(async () => {
    await database?.destroy();
  });

  async function family(clientId: string): Promise<{ grantId: string; token: string }> {
    const grantId = randomUUID();
    const now = new Date();
    await createGrant(database.handle.db, { id: grantId, clientId, userId, sessionId: null, scope: 'openid profile offline_access', audience: AUDIENCE, authTime: now, amr: ['pwd'], nonce: null, idleSeconds: 3600, absoluteSeconds: 86_400 }, now);
    return { grantId, token: await addRefreshToken(database.handle.db, grantId, now) };
  }

  const input = (token: string, clientId: string, more: Partial<RotationInput> = {}): RotationInput =>
    rotationInput(token, clientId, AUDIENCE, { successorKey: key, clientScopes: ['openid', 'profile', 'offline_access'], ip: '192.0.2.1', ...more });

  const tokensOf = (grantId: string) => database.handle.db.selectFrom('refresh_tokens').select(['token_hash', 'consumed_at']).where('grant_id', '=', grantId).execute();
  const issuedFor = (jti: string) =>
    database.handle.db
      .selectFrom('audit_events')
      .select(['client_id', 'ip', 'details'])
      .where('type', '=', 'token_issued')
      .where(({ eb, ref }) => eb(ref('details', '->>').key('jti'), '=', jti))
      .execute();

  it('each input gets its own family, scope, jti and audit row; the duplicate, the foreign and the unknown token get nothing', async () => {
    const a1 = await family(clientA);
    const b1 = await family(clientB);
    const a2 = await family(clientA);
    const b2 = await family(clientB);
    const inputs = [
      input(a1.token, clientA),
      // Client B lost `profile`: its family narrows to what it still has.
      input(b1.token, clientB, { clientScopes: ['openid', 'offline_access'], requestedScope: 'openid' }),
      input(a1.token, clientA),
      input('lk_rt_unknown-token-0000000000000000000000000', clientA),
      input(a2.token, clientA, { requestedScope: 'openid email' }),
      input(b2.token, clientA),
    ];
    const results = await rotateRefreshTokens(database.handle.db, inputs);

    // The same token twice in one statement rotates once; which of the two gets it is Postgres's choice.
    const a1Winner = results[0] ? 0 : 2;
    expect([results[0], results[2]].filter(Boolean)).toHaveLength(1);
    expect(results.map((r) => r?.grantId)).toEqual([results[0] && a1.grantId, b1.grantId, results[2] && a1.grantId, undefined, undefined, undefined]);
    expect(results[a1Winner]).toMatchObject({ grantId: a1.grantId, clientId: clientA, scope: 'openid profile offline_access', userId });
    expect(results[1]).toMatchObject({ clientId: clientB, scope: 'openid offline_access', userId });

    // a1 rotated once: its token consumed, exactly one successor, the one of that token.
    const a1Tokens = await tokensOf(a1.grantId);
    expect(a1Tokens).toHaveLength(2);
    expect(a1Tokens.find((t) => t.token_hash === sha256Hex(a1.token))?.consumed_at).not.toBeNull();
    expect(a1Tokens.find((t) => t.token_hash === sha256Hex(successorRefreshToken(key, a1.token)))?.consumed_at).toBeNull();
    // The refused ones are untouched.
    for (const untouched of [a2, b2]) expect(await tokensOf(untouched.grantId)).toEqual([expect.objectContaining({ consumed_at: null })]);

    // One audit row and one recorded jti per rotation, with that request's own values.
    const [a1Issued] = await issuedFor(inputs[a1Winner]!.accessTokenJti);
    expect(a1Issued).toMatchObject({ client_id: clientA, ip: '192.0.2.1', details: { grantId: a1.grantId, scope: 'openid profile offline_access', grant: 'refresh_token' } });
    const [b1Issued] = await issuedFor(inputs[1]!.accessTokenJti);
    expect(b1Issued).toMatchObject({ client_id: clientB, details: { grantId: b1.grantId, scope: 'openid' } });
    const refused = inputs.filter((_, index) => index !== a1Winner && index !== 1);
    for (const other of refused) expect(await issuedFor(other.accessTokenJti)).toEqual([]);
    const recorded = await database.handle.db.selectFrom('grant_access_tokens').select(['jti', 'grant_id']).where('jti', 'in', inputs.map((i) => i.accessTokenJti)).execute();
    expect(recorded.sort((x, y) => x.grant_id.localeCompare(y.grant_id))).toEqual(
      [
        { jti: inputs[a1Winner]!.accessTokenJti, grant_id: a1.grantId },
        { jti: inputs[1]!.accessTokenJti, grant_id: b1.grantId },
      ].sort((x, y) => x.grant_id.localeCompare(y.grant_id)),
    );
  });

  it('a revoked family, a disabled user and a DPoP-bound family without its key are refused beside a good rotation', async () => {
    const good = await family(clientA);
    const revoked = await family(clientA);
    await database.handle.db.updateTable('grants').set({ revoked_at: new Date(), revoked_reason: 'test' }).where('id', '=', revoked.grantId).execute();
    const bound = await family(clientA);
    await database.handle.db.updateTable('grants').set({ dpop_jkt: 'thumbprint-of-the-bound-key' }).where('id', '=', bound.grantId).execute();
    const results = await rotateRefreshTokens(database.handle.db, [input(revoked.token, clientA), input(good.token, clientA), input(bound.token, clientA, { dpopJkt: 'another-key' })]);
    expect(results.map((r) => r?.grantId)).toEqual([undefined, good.grantId, undefined]);
    expect((await rotateRefreshTokens(database.handle.db, [input(bound.token, clientA, { dpopJkt: 'thumbprint-of-the-bound-key' })]))[0]?.grantId).toBe(bound.grantId);
  });

  it('the batcher puts rotations that arrive while statements run into one statement, each answered with its own family', async () => {
    const families = await Promise.all(Array.from({ length: 10 }, () => family(clientA)));
    const rotations = rotationBatcher(recorder.handle.db);
    const statements = await recorder.during(async () => {
      const results = await Promise.all(families.map((f) => rotations.rotate(input(f.token, clientA))));
      expect(results.map((r) => r?.grantId)).toEqual(families.map((f) => f.grantId));
    });
    // Two statements start at once (two in flight), alone; the eight that queued behind them share the next.
    expect(statements.filter((s) => s.includes('update refresh_tokens rt set consumed_at'))).toHaveLength(3);
    await rotations.settle();
  });
});

// Two families of one user in one batch, while "log out everywhere" (or a password change, or a
// client's deletion) revokes all of them: the revocation locks the families in heap order, so the
// batch must too, or each would hold a row the other waits for (a deadlock Postgres breaks after
// deadlock_timeout by failing one of them). The batch's plan on this table already reaches the
// families in heap order (a bitmap scan), so this test passes without the explicit `locked` step
// as well; that step keeps the order when the planner picks a plain index scan (id order) instead.
// Needs two sessions holding locks (PGlite has one).
describe.skipIf(!usingPostgres)('a batch and a revocation of all of a user’s families (Postgres only)', () => {
  let database: TestDatabase;
  let observer: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.end();
    await database?.destroy();
  });

  it('wait for each other in one order: no deadlock, the revocation wins, no access token is recorded', async () => {
    const db = database.handle.db;
    const user = await makeUser(db, { username: 'two-families' });
    const clientId = (await makeClient(db, { redirectUris: ['https://a.example.com/cb'], scopes: ['openid', 'offline_access'] })).clientId;
    const now = new Date();
    // The first family is first in the heap, but its id sorts last and its refresh token was made
    // last: a lock taken in id order, or in the tokens' order, takes the other family first.
    const ids = ['ffffffff-ffff-4fff-8fff-ffffffffffff', '00000000-0000-4000-8000-000000000000'];
    for (const id of ids) {
      await createGrant(db, { id, clientId, userId: user.id, sessionId: null, scope: 'openid offline_access', audience: AUDIENCE, authTime: now, amr: ['pwd'], nonce: null, idleSeconds: 3600, absoluteSeconds: 86_400 }, now);
    }
    const secondToken = await addRefreshToken(db, ids[1]!, now);
    const tokens = [await addRefreshToken(db, ids[0]!, now), secondToken];
    // Enough other families that the planner reaches these two through the primary key (in id order).
    await sql`insert into grants (id, client_id, user_id, scope, audience, amr, created_at, last_used_at, idle_expires_at, absolute_expires_at)
      select gen_random_uuid(), ${clientId}, ${user.id}, 'openid offline_access', ${AUDIENCE}, '["pwd"]'::jsonb, ${now}, ${now},
        ${new Date(now.getTime() + 3_600_000)}, ${new Date(now.getTime() + 86_400_000)}
      from generate_series(1, 5000)`.execute(db);
    await sql`analyze grants, refresh_tokens`.execute(db);
    const inputs = tokens.map((token) => rotationInput(token, clientId, AUDIENCE, { now }));

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstLocked = false;
    const revocation = withTransaction(db, async (trx) => {
      // The revocation has taken the first family in heap order...
      await trx.updateTable('grants').set({ revoked_at: now, revoked_reason: 'logged out everywhere' }).where('id', '=', ids[0]!).execute();
      firstLocked = true;
      await gate;
      // ...and, once the batch waits, goes on to the second.
      await trx.updateTable('grants').set({ revoked_at: now, revoked_reason: 'logged out everywhere' }).where('id', '=', ids[1]!).execute();
    });
    await waitUntil(() => firstLocked, { timeoutMs: 5000, what: 'the revocation to hold the first family' });
    const batch = rotateRefreshTokens(db, inputs);
    await waitUntil(
      async () => {
        const { rows } = await observer.query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        return Number(rows[0]?.n) > 0;
      },
      { timeoutMs: 5000, what: 'the batch to wait for the revocation' },
    );
    release();
    await revocation;
    expect(await batch).toEqual([undefined, undefined]);
    expect(await db.selectFrom('grant_access_tokens').select('jti').where('grant_id', 'in', ids).execute()).toEqual([]);
  });
});
