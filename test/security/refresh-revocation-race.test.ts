import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { withTransaction } from '../../src/db/transaction.js';
import { sha256Hex } from '../../src/opaque-token.js';
import { revokeGrant } from '../../src/tokens/grant-store.js';
import { usingPostgres } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { loginTokens, refresh, type ClientCredentials } from '../helpers/tokens.js';
import { waitUntil } from '../helpers/wait-until.js';

/*
 * A refresh racing a revocation of its family: the revocation marks the family revoked and denies
 * the family's access tokens, then (before it commits) the rotation consumes the token and waits
 * for the family's row lock. When the revocation commits, the rotation must not go on to record an
 * access token the revocation never saw: that token would stay valid for its whole lifetime.
 * Needs two Postgres sessions holding locks against each other (PGlite has one connection).
 */

const REDIRECT = 'https://app.example.com/cb';

describe.skipIf(!usingPostgres)('a refresh that waited for a concurrent revocation (Postgres only: needs a second session)', () => {
  let server: TestServer;
  let app: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;
  let observer: pg.Client;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0' });
    user = await makeUser(server.database.db, { username: 'race-user' });
    app = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
    observer = new pg.Client({ connectionString: server.testDatabase!.url });
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.end();
    await server?.stop();
  });

  it('fails with invalid_grant and leaves no undenied access token in the revoked family', async () => {
    const tokens = await loginTokens(server.url, app, REDIRECT, 'race-user', user.password);
    const db = server.database.db;
    const { grant_id: grantId } = await db.selectFrom('refresh_tokens').select('grant_id').where('token_hash', '=', sha256Hex(tokens.refresh_token!)).executeTakeFirstOrThrow();

    let revoked = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const revocation = withTransaction(db, async (trx) => {
      await revokeGrant(trx, grantId, 'race test', new Date());
      revoked = true;
      await gate;
    });
    await waitUntil(() => revoked, { timeoutMs: 5000, what: 'the revocation to hold the family row' });

    const refreshing = refresh(server.url, app, tokens.refresh_token!);
    await waitUntil(
      async () => {
        const { rows } = await observer.query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        return Number(rows[0]?.n) > 0;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the refresh to wait for the family row lock' },
    );
    release();
    await revocation;

    const response = await refreshing;
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
    const undenied = await db
      .selectFrom('grant_access_tokens as t')
      .leftJoin('revoked_jtis as r', 'r.jti', 't.jti')
      .select('t.jti')
      .where('t.grant_id', '=', grantId)
      .where('r.jti', 'is', null)
      .execute();
    expect(undenied).toEqual([]);
    expect(await db.selectFrom('revoked_jtis').select('jti').where('jti', '=', String(decodeJwt(tokens.access_token).jti)).executeTakeFirst()).toBeDefined();
  });
});
