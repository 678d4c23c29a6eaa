import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClient } from '../helpers/fixtures.js';
import { basicAuth } from '../helpers/flow.js';
import { injectableApp, type InjectableApp } from './app.js';

const ISSUER = 'https://issuer.example';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const API = 'https://api.example.com';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** POST /device_authorization (RFC 8628 3.1-3.2) over inject: what a device gets, and every refusal. */
describe('POST /device_authorization (inject)', () => {
  let subject: InjectableApp;
  let tv: string;
  let confidential: { clientId: string; secret?: string };
  let codeFlowOnly: string;

  beforeAll(async () => {
    subject = await injectableApp({ ISSUER, DEVICE_CODE_TTL: '15m', DEVICE_POLL_INTERVAL: '7s' });
    const { db } = subject;
    tv = (await makeClient(db, { name: 'TV', type: 'public', grantTypes: [DEVICE_GRANT, 'refresh_token'], scopes: ['openid', 'profile', 'offline_access'], resources: [API] })).clientId;
    confidential = await makeClient(db, { name: 'Console', grantTypes: [DEVICE_GRANT], scopes: ['openid', 'games:play'] });
    codeFlowOnly = (await makeClient(db, { type: 'public', redirectUris: ['https://app.example/cb'] })).clientId;
  });
  afterAll(async () => subject?.close());

  const post = (payload: string, headers: Record<string, string> = {}) =>
    subject.app.inject({ method: 'POST', url: '/device_authorization', payload, headers: { ...FORM, ...headers } });
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

  it('answers the two codes, where the user goes, their lifetime and the poll interval; never cached', async () => {
    const response = await post(form({ client_id: tv }));
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']);
    expect(body.device_code).toMatch(/^lk_dc_[A-Za-z0-9_-]{43}$/);
    expect(body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(body.verification_uri).toBe(`${ISSUER}/device`);
    expect(body.verification_uri_complete).toBe(`${ISSUER}/device?user_code=${body.user_code as string}`);
    expect(body).toMatchObject({ expires_in: 900, interval: 7 });
  });

  it('asks by default for the client scopes, takes a narrower scope and a registered resource, and audits each request', async () => {
    const byDefault = await post(form({ client_id: tv }));
    const narrow = await post(form({ client_id: tv, scope: 'openid', resource: API }));
    const basic = await post(form({ scope: 'games:play' }), { authorization: basicAuth(confidential.clientId, confidential.secret!) });
    expect([byDefault.statusCode, narrow.statusCode, basic.statusCode]).toEqual([200, 200, 200]);
    const rows = await subject.db.selectFrom('device_authorizations').select(['client_id', 'scope', 'audience']).where('client_id', 'in', [tv, confidential.clientId]).execute();
    expect(rows).toEqual(
      expect.arrayContaining([
        { client_id: tv, scope: 'openid profile offline_access', audience: ISSUER },
        { client_id: tv, scope: 'openid', audience: API },
        { client_id: confidential.clientId, scope: 'games:play', audience: ISSUER },
      ]),
    );
    const audit = await subject.db.selectFrom('audit_events').selectAll().where('type', '=', 'device_authorization_created').where('client_id', '=', tv).execute();
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(audit.map((row) => (row.details as Record<string, unknown>).scope)).toEqual(expect.arrayContaining(['openid profile offline_access', 'openid']));
    expect(JSON.stringify(audit)).not.toMatch(/lk_dc_/);
  });

  const secret = () => basicAuth(confidential.clientId, confidential.secret!);
  it.each<[string, () => { payload: string; headers?: Record<string, string> }, number, string]>([
    ['no client at all', () => ({ payload: '' }), 401, 'invalid_client'],
    ['an unknown client_id', () => ({ payload: form({ client_id: 'nobody' }) }), 401, 'invalid_client'],
    ['a confidential client without its secret', () => ({ payload: form({ client_id: confidential.clientId }) }), 401, 'invalid_client'],
    ['a confidential client with a wrong secret', () => ({ payload: '', headers: { authorization: basicAuth(confidential.clientId, 'wrong') } }), 401, 'invalid_client'],
    ['a client not registered for the device grant', () => ({ payload: form({ client_id: codeFlowOnly }) }), 400, 'unauthorized_client'],
    ['a scope outside the client', () => ({ payload: form({ client_id: tv, scope: 'openid email' }) }), 400, 'invalid_scope'],
    ['the reserved admin scope', () => ({ payload: form({ client_id: tv, scope: 'admin' }) }), 400, 'invalid_scope'],
    ['a scope of the confidential client asked for by Basic, outside it', () => ({ payload: form({ scope: 'profile' }), headers: { authorization: secret() } }), 400, 'invalid_scope'],
    ['a resource not registered for the client', () => ({ payload: form({ client_id: tv, resource: 'https://evil.example' }) }), 400, 'invalid_target'],
    ['a repeated scope', () => ({ payload: `client_id=${tv}&scope=openid&scope=profile` }), 400, 'invalid_request'],
    ['a repeated client_id', () => ({ payload: `client_id=${tv}&client_id=${tv}` }), 400, 'invalid_request'],
    ['a parameter of 5000 characters', () => ({ payload: form({ client_id: tv, scope: 'x'.repeat(5000) }) }), 400, 'invalid_request'],
    ['a NUL byte', () => ({ payload: `client_id=${tv}&scope=openid%00` }), 400, 'invalid_request'],
    ['a JSON body', () => ({ payload: JSON.stringify({ client_id: tv }), headers: { 'content-type': 'application/json' } }), 400, 'invalid_request'],
  ])('%s: %i %s, JSON, never cached', async (_name, request, status, error) => {
    const { payload, headers } = request();
    const response = await post(payload, headers);
    expect(response.statusCode).toBe(status);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ error, error_description: expect.any(String) });
  });

  it('is advertised in discovery, with the device grant among grant_types_supported', async () => {
    const document = (await subject.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json<Record<string, unknown>>();
    expect(document.device_authorization_endpoint).toBe(`${ISSUER}/device_authorization`);
    expect(document.grant_types_supported).toContain(DEVICE_GRANT);
  });
});
