import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { rotateClientSecret, updateClient, findClient } from '../../src/clients/store.js';
import { loadKeyRing, rotationDeps } from '../../src/keys/setup.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient } from '../helpers/fixtures.js';
import { basicAuth } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';

const ORIGIN = 'https://spa.example.com';
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The /token, /revoke, /introspect preamble over fastify inject: a real database, no sockets. */
describe('client-authenticated endpoints (inject)', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const clock = new ManualClock();
  let basicClient: { clientId: string; secret?: string };
  let postClient: { clientId: string; secret?: string };
  let spa: { clientId: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = testConfig({ RATE_LIMIT_TOKEN: '0' });
    const keys = await loadKeyRing(rotationDeps(database.handle.db, config, clock));
    app = await buildApp({ config, database: database.handle, keys, clock });
    await app.ready();
    const db = database.handle.db;
    basicClient = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['x'] });
    postClient = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['x'], tokenEndpointAuthMethod: 'client_secret_post' });
    // Redirected back to another origin than ORIGIN: ORIGIN is allowed only once registered below.
    spa = await makeClient(db, { type: 'public', redirectUris: ['https://callback.example.com/cb'] });
  });
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
  });

  const post = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { ...FORM, ...headers }, payload: form(fields) });

  it.each(['/token', '/revoke', '/introspect', '/par'])('%s: no-store on every answer, and a form body or invalid_request', async (url) => {
    const response = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', authorization: basicAuth(basicClient.clientId, basicClient.secret!) }, payload: '{}' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request' });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers.pragma).toBe('no-cache');
  });

  it.each([
    ['/token', { grant_type: 'client_credentials' }, 200],
    ['/revoke', { token: 'lk_rt_unknown' }, 200],
    ['/introspect', { token: 'lk_rt_unknown' }, 200],
    // /par authenticates the client, then refuses the request itself (no PKCE): 400, not 401.
    ['/par', { response_type: 'code' }, 400],
  ])('%s accepts only the registered method, and names it', async (url, fields, status) => {
    const wrongWay = await post(url, { ...fields, client_id: basicClient.clientId, client_secret: basicClient.secret! });
    expect(wrongWay.statusCode).toBe(401);
    expect(wrongWay.json()).toMatchObject({ error: 'invalid_client', error_description: expect.stringContaining('client_secret_basic') });
    const rightWay = await post(url, { ...fields, client_id: postClient.clientId, client_secret: postClient.secret! });
    expect(rightWay.statusCode).toBe(status);
  });

  it('introspection refuses a public client, which proves nothing', async () => {
    const response = await post('/introspect', { token: 'x', client_id: spa.clientId });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'invalid_client', error_description: 'introspection needs a confidential client' });
  });

  it('an unsupported grant type is refused before the client is looked at', async () => {
    const response = await post('/token', { grant_type: 'password' }, { authorization: basicAuth('nobody', 'nothing') });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('a rotated secret keeps working for its overlap on the injected clock, not the wall clock', async () => {
    const client = await makeClient(database.handle.db, { grantTypes: ['client_credentials'], scopes: ['x'] });
    await rotateClientSecret(database.handle.db, client.clientId, 60, new Date(clock.now()));
    const withOldSecret = () => post('/token', { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, client.secret!) });
    expect((await withOldSecret()).statusCode).toBe(200);
    clock.advance(61_000);
    expect((await withOldSecret()).statusCode).toBe(401);
  });

  it('preflights: CORS for registered origins only, remembered for 5 s of the injected clock; none for /introspect', async () => {
    const preflight = (url: string) => app.inject({ method: 'OPTIONS', url, headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    const before = await preflight('/token');
    expect(before.statusCode).toBe(204);
    expect(before.headers['access-control-allow-origin']).toBeUndefined();

    const db = database.handle.db;
    const current = (await findClient(db, spa.clientId))!;
    await updateClient(db, spa.clientId, { ...current, origins: [ORIGIN] }, new Date(clock.now()));
    expect((await preflight('/revoke')).headers['access-control-allow-origin']).toBeUndefined(); // still cached
    clock.advance(6_000);
    for (const url of ['/token', '/revoke', '/userinfo']) {
      const response = await preflight(url);
      expect(response.headers['access-control-allow-origin'], url).toBe(ORIGIN);
      expect(response.headers['access-control-allow-credentials'], url).toBe('true');
    }
    expect((await preflight('/introspect')).statusCode).toBe(404);

    const revoke = await post('/revoke', { token: 'lk_rt_unknown', client_id: spa.clientId }, { origin: ORIGIN });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.headers['access-control-allow-origin']).toBe(ORIGIN);
    const foreign = await post('/revoke', { token: 'lk_rt_unknown', client_id: spa.clientId }, { origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(401);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });
});
