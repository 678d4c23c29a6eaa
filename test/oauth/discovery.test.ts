import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { RunningServer } from '../../src/main.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startKeyedServer } from '../keys/support.js';

const PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];
const ISSUER = 'https://login.example.test/tenant';

describe.each([
  ['ES256', {}],
  ['EdDSA', { SIGNING_ALG: 'EdDSA' }],
] as const)('discovery with %s keys', (alg, overrides) => {
  let database: TestDatabase;
  let server: RunningServer;
  let document: Record<string, unknown>;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startKeyedServer(database.handle, systemClock, { ISSUER, ...overrides });
    document = (await (await fetch(server.url + PATHS[0])).json()) as Record<string, unknown>;
  });
  afterAll(async () => {
    await server?.close();
    await database?.destroy();
  });

  it('serves one document at both well-known paths, readable from any origin', async () => {
    for (const path of PATHS) {
      const response = await fetch(server.url + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(await response.json()).toEqual(document);
    }
  });

  it('names the issuer, the JWKS and what tokens are signed with', () => {
    expect(document).toMatchObject({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: [alg],
      subject_types_supported: ['public'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: expect.arrayContaining(['openid']),
      claims_supported: expect.arrayContaining(['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid']),
    });
  });

  it('advertises only endpoints this server actually serves', async () => {
    const advertised = Object.entries(document).filter(([name]) => name.endsWith('_endpoint') || name === 'jwks_uri');
    expect(advertised.length).toBeGreaterThan(0);
    for (const [name, value] of advertised) {
      expect(String(value).startsWith(`${ISSUER}/`), name).toBe(true);
      const path = String(value).slice(ISSUER.length);
      // Some endpoints answer GET, others only POST: a served one answers one of them with something other than 404.
      const statuses = [(await fetch(server.url + path)).status, (await fetch(server.url + path, { method: 'POST' })).status];
      expect(statuses.some((status) => status !== 404), `${name} ${path}`).toBe(true);
    }
  });

  it('lists the signing algorithms of the ring as it changes', async () => {
    expect(document.id_token_signing_alg_values_supported).toEqual([...new Set(server.keys.schedules().map((key) => key.alg))]);
  });
});
