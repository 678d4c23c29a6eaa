import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';
import { loginTokens, refresh, tokensOf, type ClientCredentials } from '../helpers/tokens.js';
import { decodeJwt } from 'jose';

const REDIRECT = 'https://app.example.com/cb';

// Issue 12: a refresh is one round trip and one commit, its audit event included; the event can
// therefore never be missing for a token that was handed out, nor present for one that was not.
describe('a refresh with rotation is one statement, audit included', () => {
  let testDatabase: TestDatabase;
  let recorder: StatementRecorder;
  let server: TestServer;
  let app: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    recorder = new StatementRecorder(testDatabase.handle);
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', REFRESH_REUSE_GRACE: '10s' }, recorder.handle);
    user = await makeUser(server.database.db, { username: 'una' });
    app = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
  });
  afterAll(async () => {
    await server?.stop();
    await testDatabase?.destroy();
  });

  /** Statements of the refresh itself: client lookups (cached or not) are not the refresh's work. */
  const refreshStatements = (statements: string[]) => statements.filter((s) => !/^select .* from "clients"/.test(s));

  it('first use: one statement rotates, records the access token and writes the audit row', async () => {
    const tokens = await loginTokens(server.url, app, REDIRECT, 'una', user.password);
    let response: Response | undefined;
    const statements = await recorder.during(async () => {
      response = await refresh(server.url, app, tokens.refresh_token!);
    });
    const next = await tokensOf(response!);
    const mine = refreshStatements(statements);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/update refresh_tokens/);
    expect(mine[0]).toMatch(/insert into audit_events/);
    const jti = decodeJwt(next.access_token).jti;
    const rows = await server.database.db.selectFrom('audit_events').select(['type', 'user_id', 'details']).where('type', '=', 'token_issued').execute();
    const row = rows.find((r) => r.details.jti === jti);
    expect(row).toMatchObject({ user_id: user.id, details: { grant: 'refresh_token', jti, scope: 'openid profile offline_access' } });
  });

  it('a grace replay writes its audit row (grace) in the replay statement, and only one row', async () => {
    const tokens = await loginTokens(server.url, app, REDIRECT, 'una', user.password);
    await tokensOf(await refresh(server.url, app, tokens.refresh_token!));
    const issued = () => server.database.db.selectFrom('audit_events').select(['details']).where('type', '=', 'token_issued').execute();
    const before = (await issued()).length;
    let response: Response | undefined;
    const statements = await recorder.during(async () => {
      response = await refresh(server.url, app, tokens.refresh_token!);
    });
    const replayed = await tokensOf(response!);
    // The rotation attempt (finds the token consumed, writes nothing), the diagnosis, the replay.
    expect(refreshStatements(statements)).toHaveLength(3);
    const rows = await issued();
    expect(rows).toHaveLength(before + 1);
    const jti = decodeJwt(replayed.access_token).jti;
    expect(rows.find((r) => r.details.jti === jti)?.details).toMatchObject({ grant: 'refresh_token', grace: true });
  });

  it('a refused refresh writes no audit row', async () => {
    const before = await server.database.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('type', '=', 'token_issued').executeTakeFirstOrThrow();
    const response = await refresh(server.url, app, 'lk_rt_not-a-real-token');
    expect(response.status).toBe(400);
    const after = await server.database.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('type', '=', 'token_issued').executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
