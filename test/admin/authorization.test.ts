import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminToken } from '../helpers/admin.js';
import { makeClient } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** A value for each path parameter the admin API documents; a new parameter name must be added here. */
const SAMPLE_PARAMS: Record<string, string> = { id: '00000000-0000-4000-8000-000000000000', clientId: 'some-client' };

/** Every operation in the served OpenAPI document, as [METHOD, concrete path]: the matrix cannot miss a route. */
async function documentedRoutes(server: TestServer): Promise<[string, string][]> {
  const document = (await (await fetch(`${server.url}/admin/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.keys(operations).map((method): [string, string] => {
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        const value = SAMPLE_PARAMS[name];
        if (value === undefined) throw new Error(`no sample value for path parameter {${name}} of ${template}`);
        return encodeURIComponent(value);
      });
      return [method.toUpperCase(), path];
    }),
  );
}

// Collected at load time (it.each needs the list): the server the matrix runs against serves it.
const clock = new ManualClock();
const server: TestServer = await startTestServer({ RATE_LIMIT_ADMIN: '0' }, undefined, { clock });
const ROUTES = await documentedRoutes(server);

describe('admin API authorisation matrix', () => {
  const tokens: Record<string, string | undefined> = {};

  beforeAll(async () => {
    tokens.admin = (await adminToken(server)).token;
    const service = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders'] });
    const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(service.clientId, service.secret!) });
    tokens.nonAdmin = ((await response.json()) as { access_token: string }).access_token;
    const { privateKey } = await generateKeyPair('ES256');
    tokens.wrongSignature = await new SignJWT({ scope: 'admin', client_id: 'x', jti: 'forged' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: server.keys.signer().kid })
      .setIssuer(server.url).setAudience(server.url).setSubject('x').setIssuedAt().setExpirationTime('5m')
      .sign(privateKey);
    tokens.expired = (await adminToken(server)).token;
  });
  afterAll(async () => server?.stop());

  const call = (method: string, path: string, token: string | undefined) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(method === 'POST' || method === 'PATCH' ? { 'content-type': 'application/json' } : {}) },
      body: method === 'POST' || method === 'PATCH' ? '{}' : undefined,
    });

  it('the document lists every admin route (at least the 18 the API had when the matrix moved to it)', () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(18);
    for (const known of ['GET /admin/users', 'DELETE /admin/users/{id}/sessions', 'POST /admin/clients/{id}/secret', 'POST /admin/keys/rotate', 'GET /admin/audit']) {
      const [method, template] = known.split(' ') as [string, string];
      const path = template.replace('{id}', encodeURIComponent(SAMPLE_PARAMS.id!));
      expect(ROUTES).toContainEqual([method, path]);
    }
  });

  it.each(ROUTES)('%s %s: 401 without a token', async (method, path) => {
    const response = await call(method, path, undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="latchkey"/);
  });

  it.each(ROUTES)('%s %s: 401 invalid_token with a wrongly signed token', async (method, path) => {
    const response = await call(method, path, tokens.wrongSignature);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it.each(ROUTES)('%s %s: 403 insufficient_scope without the admin scope', async (method, path) => {
    const response = await call(method, path, tokens.nonAdmin);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  it.each(ROUTES)('%s %s: passes authorisation with the admin scope (never 401/403/500)', async (method, path) => {
    const response = await call(method, path, tokens.admin);
    expect([200, 201, 204, 400, 404]).toContain(response.status);
  });

  it.each(ROUTES)('%s %s: 401 with an expired admin token', async (method, path) => {
    const offset = (600 + 31) * 1000;
    clock.advance(offset);
    try {
      const response = await call(method, path, tokens.expired);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    } finally {
      clock.advance(-offset);
    }
  });

  it('serves the OpenAPI document without a token', async () => {
    const response = await fetch(`${server.url}/admin/openapi.json`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { openapi: string }).openapi).toBe('3.0.3');
  });

  it('a revoked admin token stops working at once', async () => {
    const { token, clientId, secret } = await adminToken(server);
    expect((await call('GET', '/admin/keys', token)).status).toBe(200);
    expect((await postForm(`${server.url}/revoke`, { token }, { authorization: basicAuth(clientId, secret) })).status).toBe(200);
    expect((await call('GET', '/admin/keys', token)).status).toBe(401);
  });

  it('has its own rate limit, apart from the public one', async () => {
    const limited = await startTestServer({ RATE_LIMIT_ADMIN: '3', RATE_LIMIT_TOKEN: '1000' });
    try {
      const { token } = await adminToken(limited);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${limited.url}/admin/keys`, { headers: { authorization: `Bearer ${token}` } })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await fetch(`${limited.url}/.well-known/jwks.json`)).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
