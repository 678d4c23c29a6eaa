import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { PROPAGATION_SLACK_MS, keyState } from '../../src/keys/lifecycle.js';
import { rotate } from '../../src/keys/rotation.js';
import { listKeys } from '../../src/keys/store.js';
import type { RunningServer } from '../../src/main.js';
import { mintAccessToken } from '../../src/tokens/access-token.js';
import { tokenContext, type TokenContext } from '../../src/tokens/context.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ManualClock, publishedKids, rotationFor, SECOND, startKeyedServer } from './support.js';
import { waitUntil } from '../helpers/wait-until.js';

const SETTINGS = {
  JWKS_CACHE_TTL: '60',
  ACCESS_TOKEN_TTL: '300',
  ID_TOKEN_TTL: '120',
  CLOCK_TOLERANCE: '30',
  KEY_ROTATION_INTERVAL: '3600',
  ISSUER: 'https://issuer.test',
};
const config = testConfig(SETTINGS);
const LEAD_MS = 60 * SECOND + PROPAGATION_SLACK_MS;
const RETENTION_MS = (300 + 30) * SECOND + PROPAGATION_SLACK_MS;
const T0 = Date.parse('2031-01-01T00:00:00Z');

describe('signing-key lifecycle against a controllable clock, over HTTP', () => {
  let database: TestDatabase;
  let server: RunningServer;
  const clock = new ManualClock(T0);
  let tokens: TokenContext;
  let firstKid: string;
  let secondKid: string;

  const mint = () => mintAccessToken(tokens, { subject: 'user-1', audience: 'https://api.test', clientId: 'client-1', scope: ['openid'] });
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  /** What a resource server does: jose's remote JWKS (fresh, so nothing is cached) against the live endpoint. */
  const verifyRemotely = (token: string, at: number) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
      issuer: config.ISSUER,
      audience: 'https://api.test',
      typ: 'at+jwt',
      currentDate: new Date(at),
      clockTolerance: config.CLOCK_TOLERANCE,
    });
  const stateOf = async (kid: string) => {
    const key = (await listKeys(database.handle.db)).find((k) => k.kid === kid)!;
    return keyState(key, clock.now());
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startKeyedServer(database.handle, clock, SETTINGS);
    tokens = tokenContext(server.keys, config, clock);
  });
  afterAll(async () => {
    await server?.close();
    await database?.destroy();
  });

  it('on the very first start, the first key is active at once and published', async () => {
    const keys = await listKeys(database.handle.db);
    expect(keys).toHaveLength(1);
    firstKid = keys[0]!.kid;
    expect(await stateOf(firstKid)).toBe('active');
    expect(await publishedKids(server.url)).toEqual([firstKid]);
    expect(kidOf(mint().token)).toBe(firstKid);
  });

  let beforeRotation: string;
  let lastOfFirstKey: { token: string; expiresAt: number };

  it('a rotated-in key is published at once but signs nothing until one JWKS cache lifetime has passed', async () => {
    beforeRotation = mint().token;
    const rotatedAt = clock.now();
    const { key } = await rotate(rotationFor(database.handle, config, clock));
    secondKid = key.kid;
    expect(key.activatesAt - rotatedAt).toBe(LEAD_MS);
    expect(LEAD_MS).toBeGreaterThanOrEqual(config.JWKS_CACHE_TTL * SECOND);
    // Published within the reload bound, without restarting anything.
    await waitUntil(async () => (await publishedKids(server.url)).includes(secondKid), { timeoutMs: 5000 });
    expect(await publishedKids(server.url)).toEqual([secondKid, firstKid]);
    expect(await stateOf(secondKid)).toBe('next');
    expect(kidOf(mint().token)).toBe(firstKid);

    clock.set(key.activatesAt - 1);
    lastOfFirstKey = mint();
    expect(kidOf(lastOfFirstKey.token)).toBe(firstKid);
  });

  it('at its activation time the new key signs, and tokens from before the rotation still verify', async () => {
    const keys = await listKeys(database.handle.db);
    const second = keys.find((k) => k.kid === secondKid)!;
    clock.set(second.activatesAt);
    expect(kidOf(mint().token)).toBe(secondKid);
    expect(await stateOf(firstKid)).toBe('retired');
    expect(await stateOf(secondKid)).toBe('active');
    expect(await publishedKids(server.url)).toEqual([secondKid, firstKid]);

    const now = clock.now();
    await expect(verifyRemotely(beforeRotation, now)).resolves.toMatchObject({ protectedHeader: { kid: firstKid } });
    await expect(verifyRemotely(lastOfFirstKey.token, now)).resolves.toMatchObject({ payload: { sub: 'user-1' } });
    await expect(verifyRemotely(mint().token, now)).resolves.toMatchObject({ protectedHeader: { kid: secondKid } });
  });

  it('the retired key stays published until every token it signed has expired, then leaves the JWKS', async () => {
    const first = (await listKeys(database.handle.db)).find((k) => k.kid === firstKid)!;
    expect(first.removesAt).toBe(first.retiresAt! + RETENTION_MS);
    // The last token the first key signed is accepted until exp + tolerance; the key outlives that.
    const lastAccepted = (lastOfFirstKey.expiresAt + config.CLOCK_TOLERANCE) * SECOND;
    expect(first.removesAt!).toBeGreaterThan(lastAccepted);

    clock.set(lastAccepted - SECOND);
    await expect(verifyRemotely(lastOfFirstKey.token, clock.now())).resolves.toBeDefined();
    clock.set(first.removesAt! - 1);
    expect(await publishedKids(server.url)).toEqual([secondKid, firstKid]);

    clock.set(first.removesAt!);
    expect(await stateOf(firstKid)).toBe('removed');
    expect(await publishedKids(server.url)).toEqual([secondKid]);
    await expect(verifyRemotely(lastOfFirstKey.token, clock.now())).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('the scheduled rotation runs by itself when the active key nears the rotation interval', async () => {
    const second = (await listKeys(database.handle.db)).find((k) => k.kid === secondKid)!;
    clock.set(second.activatesAt + 3600 * SECOND - LEAD_MS);
    // The instance's own maintenance timer notices within a reload interval or two.
    await waitUntil(async () => (await publishedKids(server.url)).length === 2, { timeoutMs: 6000 });
    const keys = await listKeys(database.handle.db);
    expect(keys).toHaveLength(3);
    const third = keys.find((k) => k.kid !== firstKid && k.kid !== secondKid)!;
    expect(third.activatesAt).toBe(second.activatesAt + 3600 * SECOND);
    expect(await stateOf(third.kid)).toBe('next');
    expect(kidOf(mint().token)).toBe(secondKid);
  });
});
