import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/transaction.js';
import { addRefreshToken, createGrant } from '../../src/tokens/grant-store.js';
import { rotateRefreshToken } from '../../src/tokens/refresh-store.js';
import { successorRefreshToken } from '../../src/tokens/refresh-successor.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The plan's reads of `relation` (its ModifyTable node names the table too, but reads nothing). */
function scansOf(plan: PlanNode, relation: string): PlanNode[] {
  const own = plan['Relation Name'] === relation && plan['Node Type'] !== 'ModifyTable' ? [plan] : [];
  return [...own, ...(plan.Plans ?? []).flatMap((child) => scansOf(child, relation))];
}

// Issue 12: a prepared statement runs on its generic plan after five executions. The rotation
// once joined `grants` through client_id there, evaluating the scope filter on every grant of the
// client (0.37 ms of its 0.53 ms in a 60-family benchmark, and linear in the client's grants).
// Whatever the planner's statistics, the family must be read by its primary key.
describe('the refresh rotation reads its family by primary key in the generic plan', () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;

  beforeAll(async () => {
    database = await createTestDatabase();
    recorder = new StatementRecorder(database.handle);
  });
  afterAll(async () => {
    await database?.destroy();
  });

  it('every access to grants is an index scan on grants_pkey, with 60 grants of one client and no statistics yet', async () => {
    const db = database.handle.db;
    const user = await makeUser(db, { username: 'plan' });
    const client = await makeClient(db, { redirectUris: ['https://app.example.com/cb'], scopes: ['openid', 'offline_access'] });
    const now = new Date();
    const grant = (id: string) => ({ id, clientId: client.clientId, userId: user.id, sessionId: null, scope: 'openid offline_access', audience: 'https://api.example.com', authTime: now, amr: ['pwd'], nonce: null, idleSeconds: 3600, absoluteSeconds: 86_400 });
    const ids = Array.from({ length: 60 }, () => randomUUID());
    for (const id of ids) await createGrant(db, grant(id), now);
    const presented = await addRefreshToken(db, ids[0]!, now);

    const statements = await recorder.during(async () => {
      const rotated = await rotateRefreshToken(recorder.handle.db, {
        presentedToken: presented,
        clientId: client.clientId,
        clientScopes: ['openid', 'offline_access'],
        clientAudiences: ['https://api.example.com'],
        successorToken: successorRefreshToken(randomBytes(32), presented),
        accessTokenJti: randomUUID(),
        accessTokenExpiresAt: new Date(now.getTime() + 60_000),
        idleSeconds: 3600,
        now,
        ip: null,
        dpopJkt: null,
      });
      expect(rotated?.grantId).toBe(ids[0]);
    });
    const rotation = statements.find((s) => s.includes('update refresh_tokens rt set consumed_at'));
    expect(rotation).toBeDefined();
    const parameterCount = Math.max(...[...rotation!.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));

    const plan = await withTransaction(db, async (trx) => {
      await sql`set local plan_cache_mode = force_generic_plan`.execute(trx);
      await sql.raw(`prepare rotation_under_test as ${rotation}`).execute(trx);
      const nulls = Array.from({ length: parameterCount }, () => 'null').join(', ');
      const explained = await sql.raw<{ 'QUERY PLAN': unknown }>(`explain (format json) execute rotation_under_test(${nulls})`).execute(trx);
      await sql`deallocate rotation_under_test`.execute(trx);
      const raw = explained.rows[0]!['QUERY PLAN'];
      return (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
    });

    const onGrants = scansOf(plan[0]!.Plan, 'grants');
    expect(onGrants.length).toBeGreaterThanOrEqual(2);
    for (const node of onGrants) {
      expect(node['Node Type']).toMatch(/^Index (Only )?Scan$/);
      expect(node['Index Name']).toBe('grants_pkey');
    }
  });
});
