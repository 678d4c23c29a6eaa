import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRefreshToken, createGrant } from '../../src/tokens/grant-store.js';
import { rotateRefreshTokens } from '../../src/tokens/refresh-store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { rotationInput } from '../helpers/rotation-input.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';
import { genericPlan, readsOf, type PlanNode } from '../helpers/generic-plan.js';

// Issue 12: a prepared statement runs on its generic plan after five executions, planned without
// the values. The single rotation once joined `grants` through client_id there, evaluating the
// scope filter on every grant of the client (0.37 ms of its 0.53 ms in a 60-family benchmark, and
// linear in the client's grants). Whatever the statistics, the batch rotation must reach tokens and
// families through their primary keys (a sequential scan of a one-page table is fine; of a large
// one it is not).
describe("the refresh rotation's generic plan reads tokens and families by primary key", () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;

  beforeAll(async () => {
    database = await createTestDatabase();
    recorder = new StatementRecorder(database.handle);
  });
  afterAll(async () => {
    await database?.destroy();
  });

  async function rotationPlan(grantCount: number, analyze: boolean): Promise<PlanNode> {
    const db = database.handle.db;
    const user = await makeUser(db, { username: `plan${grantCount}` });
    const client = await makeClient(db, { redirectUris: ['https://app.example.com/cb'], scopes: ['openid', 'offline_access'] });
    const now = new Date();
    const grant = (id: string) => ({ id, clientId: client.clientId, userId: user.id, sessionId: null, scope: 'openid offline_access', audience: 'https://api.example.com', authTime: now, amr: ['pwd'], nonce: null, idleSeconds: 3600, absoluteSeconds: 86_400 });
    const first = randomUUID();
    await createGrant(db, grant(first), now);
    const presented = await addRefreshToken(db, first, now);
    // The other families of the same client, in one statement (each with a refresh token).
    await sql`insert into grants (id, client_id, user_id, scope, audience, amr, created_at, last_used_at, idle_expires_at, absolute_expires_at)
      select gen_random_uuid(), ${client.clientId}, ${user.id}, 'openid offline_access', 'https://api.example.com', '["pwd"]'::jsonb,
        ${now}, ${now}, ${new Date(now.getTime() + 3_600_000)}, ${new Date(now.getTime() + 86_400_000)}
      from generate_series(2, ${grantCount})`.execute(db);
    await sql`insert into refresh_tokens (token_hash, grant_id, created_at) select md5(id::text), id, ${now} from grants where client_id = ${client.clientId} and id <> ${first}`.execute(db);
    if (analyze) await sql`analyze grants, refresh_tokens`.execute(db);

    const input = rotationInput(presented, client.clientId, 'https://api.example.com', { now });
    const statements = await recorder.during(async () => {
      const [rotated] = await rotateRefreshTokens(recorder.handle.db, [input]);
      expect(rotated?.grantId).toBe(first);
    });
    const rotation = statements.find((s) => s.includes('update refresh_tokens rt set consumed_at'));
    expect(rotation).toBeDefined();
    return genericPlan(db, rotation!);
  }

  it('60 families of one client, no statistics yet: never through another index (the old plan went through client_id)', async () => {
    const plan = await rotationPlan(60, false);
    const grants = readsOf(plan, 'grants');
    expect(grants.length).toBeGreaterThanOrEqual(2);
    for (const read of grants) expect(['grants_pkey', 'Seq Scan']).toContain(read);
    for (const read of readsOf(plan, 'refresh_tokens')) expect(['refresh_tokens_pkey', 'Seq Scan']).toContain(read);
  });

  it('5 000 families of one client, analysed: only primary keys, no sequential scan', async () => {
    const plan = await rotationPlan(5000, true);
    const grants = readsOf(plan, 'grants');
    expect(grants.length).toBeGreaterThanOrEqual(2);
    for (const read of grants) expect(read).toBe('grants_pkey');
    const tokens = readsOf(plan, 'refresh_tokens');
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    for (const read of tokens) expect(read).toBe('refresh_tokens_pkey');
  });
});
