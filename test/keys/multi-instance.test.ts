import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { PROPAGATION_SLACK_MS } from '../../src/keys/lifecycle.js';
import { listKeys } from '../../src/keys/store.js';
import type { RunningServer } from '../../src/main.js';
import { mintAccessToken } from '../../src/tokens/access-token.js';
import { tokenContext } from '../../src/tokens/context.js';
import { runCli } from '../../src/cli/run.js';
import { testConfig } from '../helpers/config.js';
import { createPostgresDatabase, usingPostgres } from '../helpers/database.js';
import { ManualClock, SECOND, startKeyedServer } from './support.js';
import { waitUntil } from '../helpers/wait-until.js';

const SETTINGS = { JWKS_CACHE_TTL: '60', KEY_ROTATION_INTERVAL: '3600', KEY_ENCRYPTION_KEY: 'm'.repeat(40) };
const LEAD_MS = 60 * SECOND + PROPAGATION_SLACK_MS;

describe('two instances on one Postgres database', () => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  const handles: DatabaseHandle[] = [];
  const servers: RunningServer[] = [];
  // Both instances share one clock, so moving time moves it for both.
  const clock = new ManualClock();

  const jwksOf = async (server: RunningServer) => {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    return { etag: response.headers.get('etag'), kids: ((await response.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid) };
  };
  const bothServe = async (kids: string[]) => {
    const [a, b] = await Promise.all(servers.map(jwksOf));
    return a!.etag === b!.etag && JSON.stringify(a!.kids) === JSON.stringify(kids) && JSON.stringify(b!.kids) === JSON.stringify(kids);
  };
  const rowCount = async () => (await listKeys(handles[0]!.db)).length;
  const signingKid = (server: RunningServer) =>
    decodeProtectedHeader(mintAccessToken(tokenContext(server.keys, testConfig(SETTINGS), clock), { subject: 's', audience: 'a', clientId: 'c', scope: [] }).token).kid;

  beforeAll(async () => {
    if (!usingPostgres) return;
    database = await createPostgresDatabase();
    for (let i = 0; i < 2; i++) handles.push(await openDatabase({ databaseUrl: database.url, dataDir: '', poolMax: 4 }));
    // Started together on an empty key table: they must agree on one first key.
    servers.push(...(await Promise.all(handles.map((handle) => startKeyedServer(handle, clock, SETTINGS)))));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all(handles.map((handle) => handle.close()));
    await database?.drop();
  });

  it.skipIf(!usingPostgres)('start together with one first key, and serve the same JWKS (needs TEST_DATABASE_URL: PGlite cannot be shared)', async () => {
    const keys = await listKeys(handles[0]!.db);
    expect(keys).toHaveLength(1);
    expect(await bothServe([keys[0]!.kid])).toBe(true);
    expect(servers.map(signingKid)).toEqual([keys[0]!.kid, keys[0]!.kid]);
  });

  it.skipIf(!usingPostgres)('both pick up a `keys rotate` made by the CLI within seconds', async () => {
    const [first] = await listKeys(handles[0]!.db);
    const io = { env: { ...SETTINGS, DATABASE_URL: database!.url, NODE_ENV: 'test', LOG_LEVEL: 'silent' }, out: () => undefined, err: () => undefined, readStdin: async () => '' };
    expect(await runCli(['keys', 'rotate'], io)).toBe(0);
    const next = (await listKeys(handles[0]!.db)).find((key) => key.kid !== first!.kid)!;
    const started = Date.now();
    await waitUntil(() => bothServe([next.kid, first!.kid]), { timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(5000);
    // Published, not yet signing, on either instance.
    expect(servers.map(signingKid)).toEqual([first!.kid, first!.kid]);
    clock.set(next.activatesAt);
    expect(servers.map(signingKid)).toEqual([next.kid, next.kid]);
  });

  it.skipIf(!usingPostgres)('rotate once on schedule, whichever instance gets there first, and both serve the new key', async () => {
    const keys = await listKeys(handles[0]!.db);
    const active = keys.at(-1)!;
    clock.set(active.activatesAt + 3600 * SECOND - LEAD_MS);
    await waitUntil(async () => (await rowCount()) > keys.length, { timeoutMs: 6000 });
    const after = await listKeys(handles[0]!.db);
    const successor = after.find((key) => !keys.some((k) => k.kid === key.kid))!;
    // It activates no earlier than the rotation interval, and never less than one lead time after it was published.
    expect(successor.activatesAt).toBeGreaterThanOrEqual(active.activatesAt + 3600 * SECOND);
    expect(successor.activatesAt - successor.createdAt).toBeGreaterThanOrEqual(LEAD_MS);
    // The first key retired an hour ago (by this clock) and has left the JWKS on both.
    await waitUntil(() => bothServe([successor.kid, active.kid]), { timeoutMs: 5000 });
    // Several more reload-and-check passes on both instances at once: still exactly one rotation.
    for (let pass = 0; pass < 3; pass++) await Promise.all(servers.map((server) => server.keyMaintenance.tick()));
    expect(await rowCount()).toBe(keys.length + 1);
  });
});
