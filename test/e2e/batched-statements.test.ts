import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';
import { makeClient } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { clientAuth, introspect, type ClientCredentials } from '../helpers/tokens.js';
import { jwtPayload } from '../audit/support.js';

const AUDIT_INSERT = /^insert into "?audit_events"?/;
const DENY_LIST_READ = /^select "jti" from "revoked_jtis"/;

/**
 * Fewer statements than requests, on Postgres. Embedded PGlite runs each statement to completion
 * inside the server's own thread, within one turn of the event loop, so no request can arrive
 * while a batch is in flight: batches hold one item each, as many statements as before batching.
 * The answers must be right on both.
 */
function expectShared(statements: number, requests: number): void {
  expect(statements).toBeGreaterThan(0);
  if (usingPostgres) expect(statements).toBeLessThan(requests);
  else expect(statements).toBeLessThanOrEqual(requests);
}

/**
 * Issue 12: concurrent requests share their audit INSERT (group commit) and their deny-list read,
 * over real HTTP, without any answer changing: every token acknowledged has its row, every
 * introspection answers for its own token, and a revocation is seen by the next request.
 */
describe('concurrent requests share audit INSERTs and deny-list reads', () => {
  let database: TestDatabase;
  let recorder: StatementRecorder;
  let server: TestServer;
  let service: ClientCredentials;
  let resourceServer: ClientCredentials;

  beforeAll(async () => {
    database = await createTestDatabase();
    recorder = new StatementRecorder(database.handle);
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0' }, recorder.handle);
    service = await makeClient(database.handle.db, { grantTypes: ['client_credentials'], scopes: ['orders:read'] });
    resourceServer = await makeClient(database.handle.db, { grantTypes: ['client_credentials'], scopes: ['introspect'] });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.destroy();
  });

  const clientToken = () => postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(service.clientId, service.secret!) });
  const accessToken = async () => {
    const response = await clientToken();
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const revoke = (token: string) => postForm(`${server.url}/revoke`, { token }, clientAuth(service));
  const issuedJtis = async () =>
    (await sql<{ jti: string }>`select details->>'jti' as jti from audit_events where type = 'token_issued' and client_id = ${service.clientId}`.execute(database.handle.db)).rows.map((r) => r.jti);

  it('N concurrent client_credentials requests: N tokens, each jti in audit_events, with fewer audit INSERTs than requests (Postgres)', async () => {
    const before = await issuedJtis();
    const N = 40;
    let tokens: string[] = [];
    const statements = await recorder.during(async () => {
      const responses = await Promise.all(Array.from({ length: N }, () => clientToken()));
      for (const response of responses) expect(response.status).toBe(200);
      tokens = await Promise.all(responses.map(async (r) => ((await r.json()) as { access_token: string }).access_token));
    });
    const jtis = tokens.map((token) => String(jwtPayload(token).jti));
    expect(new Set(jtis).size).toBe(N);
    const rows = (await issuedJtis()).filter((jti) => !before.includes(jti));
    expect(rows.sort()).toEqual([...jtis].sort());
    expectShared(statements.filter((s) => AUDIT_INSERT.test(s)).length, N);
  });

  it('concurrent introspections of revoked and live tokens mixed: each answer is for its own token, with fewer deny-list reads than requests (Postgres)', async () => {
    const tokens = await Promise.all(Array.from({ length: 24 }, () => accessToken()));
    const revoked = new Set(tokens.filter((_, i) => i % 3 === 0));
    for (const token of revoked) expect((await revoke(token)).status).toBe(200);
    // Every token twice, revoked and live interleaved, all in flight together.
    const asked = [...tokens, ...[...tokens].reverse()];
    let answers: Record<string, unknown>[] = [];
    const statements = await recorder.during(async () => {
      answers = await Promise.all(asked.map((token) => introspect(server.url, resourceServer, token)));
    });
    answers.forEach((answer, i) => {
      const token = asked[i]!;
      if (revoked.has(token)) expect(answer, `token ${i}`).toEqual({ active: false });
      else expect(answer, `token ${i}`).toMatchObject({ active: true, jti: jwtPayload(token).jti, client_id: service.clientId });
    });
    expectShared(statements.filter((s) => DENY_LIST_READ.test(s)).length, asked.length);
  });

  it('a revocation is seen by the very next introspection while other introspections keep deny-list reads in flight', async () => {
    const live = await accessToken();
    let stop = false;
    const background: unknown[] = [];
    const load = Array.from({ length: 8 }, async () => {
      while (!stop) background.push((await introspect(server.url, resourceServer, live)).active);
    });
    try {
      for (let round = 0; round < 8; round++) {
        const token = await accessToken();
        expect(await introspect(server.url, resourceServer, token)).toMatchObject({ active: true });
        expect((await revoke(token)).status).toBe(200);
        expect(await introspect(server.url, resourceServer, token), `round ${round}`).toEqual({ active: false });
      }
    } finally {
      stop = true;
      await Promise.all(load);
    }
    expect(background.length).toBeGreaterThan(0);
    expect(background.every((active) => active === true)).toBe(true);
  });
});
