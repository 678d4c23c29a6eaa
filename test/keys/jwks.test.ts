import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { rotateNow } from '../../src/keys/rotation.js';
import type { RunningServer } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { rotationFor, startKeyedServer } from './support.js';
import { waitUntil } from '../helpers/wait-until.js';

const JWKS = '/.well-known/jwks.json';
const PUBLIC_MEMBERS: Record<string, string[]> = {
  EC: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
  OKP: ['alg', 'crv', 'kid', 'kty', 'use', 'x'],
  RSA: ['alg', 'e', 'kid', 'kty', 'n', 'use'],
};

describe('GET /.well-known/jwks.json', () => {
  let database: TestDatabase;
  let server: RunningServer;
  const get = (headers: Record<string, string> = {}) => fetch(server.url + JWKS, { headers });

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startKeyedServer(database.handle, systemClock);
  });
  afterAll(async () => {
    await server?.close();
    await database?.destroy();
  });

  it('serves public members only, with kid, alg and use on every key, for every algorithm', async () => {
    const config = testConfig();
    for (const alg of ['EdDSA', 'RS256', 'PS256'] as const) await rotateNow(rotationFor(database.handle, config, systemClock, alg));
    await server.keys.reload();
    const response = await get();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256']);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(PUBLIC_MEMBERS[key.kty!]);
      expect(key.use).toBe('sig');
      expect(key.kid).toMatch(/^[\w-]{43}$/);
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privateMember);
    }
    const rsa = keys.find((key) => key.alg === 'RS256')!;
    expect(Buffer.from(rsa.n!, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
  });

  it('is cacheable for one JWKS cache lifetime and readable from any origin', async () => {
    const response = await get();
    expect(response.headers.get('cache-control')).toBe('public, max-age=600');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('etag')).toMatch(/^"[\w-]{43}"$/);
  });

  it('answers 304 with no body when If-None-Match matches the ETag, 200 otherwise', async () => {
    const etag = (await get()).headers.get('etag')!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await get({ 'if-none-match': ifNoneMatch });
      expect(response.status).toBe(304);
      expect(await response.text()).toBe('');
      expect(response.headers.get('etag')).toBe(etag);
      expect(response.headers.get('cache-control')).toBe('public, max-age=600');
    }
    const stale = await get({ 'if-none-match': '"not-the-etag"' });
    expect(stale.status).toBe(200);
    expect(((await stale.json()) as { keys: unknown[] }).keys).toHaveLength(4);
  });

  it('changes its ETag when the ring changes, so a 304 is never served for an old key set', async () => {
    const before = (await get()).headers.get('etag')!;
    await rotateNow(rotationFor(database.handle, testConfig(), systemClock));
    await waitUntil(async () => (await get()).headers.get('etag') !== before, { timeoutMs: 5000 });
    expect((await get({ 'if-none-match': before })).status).toBe(200);
  });
});

describe('JWKS is served from memory', () => {
  it('keeps answering when the database is gone', async () => {
    const database = await createTestDatabase();
    const server = await startKeyedServer(database.handle, systemClock);
    try {
      const before = await (await fetch(server.url + JWKS)).text();
      await database.destroy();
      const response = await fetch(server.url + JWKS);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(before);
    } finally {
      await server.close();
    }
  });
});
