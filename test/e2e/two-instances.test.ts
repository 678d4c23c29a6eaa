import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { createPostgresDatabase, usingPostgres } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/wait-until.js';
import { collect, spawnLatchkey, waitForHttp } from '../helpers/process.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../helpers/config.js';
import { introspect, loginTokens, refresh, type ClientCredentials, type TokenSet } from '../helpers/tokens.js';

const REDIRECT = 'https://app.example.com/cb';
const RATE_LIMIT = 30;

// Two server processes on one database: PGlite admits a single process, so this needs Postgres.
describe.skipIf(!usingPostgres)('two Latchkey processes on one Postgres and Redis behave as one (needs Postgres)', () => {
  let drop: () => Promise<void>;
  let database: DatabaseHandle;
  const processes: ChildProcess[] = [];
  let a: string;
  let b: string;
  let app: ClientCredentials;
  let rs: ClientCredentials;
  let ops: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    // The suite's own requests come from 127.0.0.1 and count against RATE_LIMIT_TOKEN in Redis for
    // a minute: start from no counts, so that running the file again within a minute still passes.
    const redis = new Redis('redis://127.0.0.1:6379');
    const stale = await redis.keys('latchkey-rl:*');
    if (stale.length > 0) await redis.del(...stale);
    redis.disconnect();
    const created = await createPostgresDatabase();
    drop = created.drop;
    database = await openDatabase({ databaseUrl: created.url, dataDir: '' });
    const [portA, portB] = [await freePort(), await freePort()];
    a = `http://127.0.0.1:${portA}`;
    b = `http://127.0.0.1:${portB}`;
    const common = {
      DATABASE_URL: created.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      ISSUER: a, // both sit behind one public name; A's address stands for it
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      REFRESH_REUSE_GRACE: '0',
      RATE_LIMIT_TOKEN: String(RATE_LIMIT),
      TRUST_PROXY: '127.0.0.1',
      KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      JWKS_CACHE_TTL: '2s',
    };
    for (const port of [portA, portB]) {
      const child = spawnLatchkey(['serve'], { ...common, PORT: String(port) });
      void collect(child);
      processes.push(child);
    }
    await Promise.all([waitForHttp(`${a}/readyz`), waitForHttp(`${b}/readyz`)]);
    user = await makeUser(database.db, { username: 'twin' });
    app = await makeClient(database.db, { redirectUris: [REDIRECT] });
    rs = await makeClient(database.db, { grantTypes: ['client_credentials'], scopes: ['x'] });
    ops = await makeClient(database.db, { name: 'ops', admin: true });
  });

  afterAll(async () => {
    for (const child of processes) child.kill('SIGTERM');
    await Promise.all(processes.map((child) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))));
    await database?.close();
    await drop?.();
  });

  const adminToken = async (base: string) =>
    ((await (await postForm(`${base}/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basicAuth(ops.clientId, ops.secret!) })).json()) as { access_token: string }).access_token;

  it('a refresh rotated on A and replayed on B is detected as reuse', async () => {
    const first = await loginTokens(a, app, REDIRECT, 'twin', user.password);
    const rotated = (await (await refresh(a, app, first.refresh_token!)).json()) as TokenSet;
    expect((await refresh(b, app, first.refresh_token!)).status).toBe(400);
    expect((await refresh(b, app, rotated.refresh_token!)).status).toBe(400); // the family died
    expect(await introspect(b, rs, rotated.access_token)).toEqual({ active: false });
  });

  it('20 refreshes of one token at once, half on A and half on B, each batching its own: exactly one wins and the family dies', async () => {
    const first = await loginTokens(a, app, REDIRECT, 'twin', user.password);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postForm(`${i % 2 === 0 ? a : b}/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, { authorization: basicAuth(app.clientId, app.secret!), 'x-forwarded-for': `198.51.100.${i + 1}` }),
      ),
    );
    const winners = responses.filter((response) => response.status === 200);
    expect(winners).toHaveLength(1);
    for (const response of responses.filter((r) => r.status !== 200)) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
    }
    // Every loser presented a consumed token after the winner's commit: reuse, so the family is revoked.
    const won = (await winners[0]!.json()) as TokenSet;
    expect((await refresh(b, app, won.refresh_token!)).status).toBe(400);
    expect(await introspect(a, rs, won.access_token)).toEqual({ active: false });
  });

  it('a family revoked through A’s admin API fails at B at once', async () => {
    const tokens = await loginTokens(b, app, REDIRECT, 'twin', user.password);
    const response = await fetch(`${a}/admin/users/${user.id}/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${await adminToken(a)}` } });
    expect(response.status).toBe(200);
    expect((await refresh(b, app, tokens.refresh_token!)).status).toBe(400);
    expect(await introspect(b, rs, tokens.access_token)).toEqual({ active: false });
  });

  it('a key rotated by A is served and used by B within seconds', async () => {
    const rotated = await fetch(`${a}/admin/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${await adminToken(a)}`, 'content-type': 'application/json' }, body: '{"now":true}' });
    const { key } = (await rotated.json()) as { key: { kid: string } };
    await waitUntil(
      async () => ((await (await fetch(`${b}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.some((k) => k.kid === key.kid),
      { timeoutMs: 8000, intervalMs: 200, what: `B publishing ${key.kid}` },
    );
    let attempt = 0;
    await waitUntil(
      async () => {
        const headers = { authorization: basicAuth(rs.clientId, rs.secret!), 'x-forwarded-for': `198.18.0.${++attempt}` };
        const token = ((await (await postForm(`${b}/token`, { grant_type: 'client_credentials' }, headers)).json()) as { access_token: string }).access_token;
        return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid === key.kid;
      },
      { timeoutMs: 8000, intervalMs: 200, what: `B signing with ${key.kid}` },
    );
  });

  it('rate limits count across both instances (shared Redis store)', async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const statuses: number[] = [];
    for (let i = 0; i <= RATE_LIMIT; i++) {
      const base = i % 2 === 0 ? a : b;
      statuses.push((await postForm(`${base}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(rs.clientId, rs.secret!), 'x-forwarded-for': ip })).status);
    }
    expect(statuses.slice(0, RATE_LIMIT).every((s) => s === 200)).toBe(true);
    expect(statuses[RATE_LIMIT]).toBe(429);
  });
});
