import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../helpers/flow.js';
import { makeClient } from '../helpers/fixtures.js';
import { injectableApp, type InjectableApp } from './app.js';

/**
 * The /token checks that are callback hooks (ARCHITECTURE.md, token endpoints): each one's
 * synchronous refusal, and the two that go asynchronous on some requests (CORS with an Origin, a
 * DPoP proof) on both branches. A refusal must stay the RFC's error, never a 500 or a hang.
 */
describe('/token callback hooks (fastify inject)', () => {
  const ORIGIN = 'https://spa.example';
  let subject: InjectableApp;
  let service: { basic: string };
  let webOnly: { basic: string };
  let browserService: { basic: string };
  let dpopBound: { basic: string };

  beforeAll(async () => {
    subject = await injectableApp();
    const credentials = async (input: Record<string, unknown>) => {
      const { clientId, secret } = await makeClient(subject.db, input);
      return { basic: basicAuth(clientId, secret!) };
    };
    service = await credentials({ grantTypes: ['client_credentials'], scopes: ['api.read'] });
    webOnly = await credentials({ grantTypes: ['authorization_code'], redirectUris: ['https://web.example/cb'] });
    browserService = await credentials({ grantTypes: ['client_credentials'], scopes: ['api.read'], origins: [ORIGIN] });
    dpopBound = await credentials({ grantTypes: ['client_credentials'], scopes: ['api.read'], dpopBoundAccessTokens: true });
  });
  afterAll(async () => subject?.close());

  const postToken = (headers: Record<string, string | string[]>, payload = 'grant_type=client_credentials') =>
    subject.app.inject({ method: 'POST', url: '/token', payload, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

  it('a token for a plain server request (every hook on its synchronous branch)', async () => {
    const response = await postToken({ authorization: service.basic });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers.vary).toMatch(/Origin/);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.json()).toMatchObject({ token_type: 'Bearer' });
  });

  it('a grant the client may not use: 400 unauthorized_client', async () => {
    const response = await postToken({ authorization: webOnly.basic });
    expect(response.statusCode).toBe(400);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ error: 'unauthorized_client', error_description: expect.any(String) });
  });

  it("the client's own Origin: CORS answered after the client lookup, and the token", async () => {
    const response = await postToken({ authorization: browserService.basic, origin: ORIGIN });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(response.headers['access-control-allow-credentials']).toBe('true');
  });

  it('another Origin: no CORS header, and the call refused', async () => {
    const response = await postToken({ authorization: browserService.basic, origin: 'https://evil.example' });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.json()).toMatchObject({ error: expect.any(String) });
  });

  it('a client that must use DPoP, without a proof: 400 invalid_dpop_proof', async () => {
    const response = await postToken({ authorization: dpopBound.basic });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_dpop_proof', error_description: expect.any(String) });
  });

  it('a proof that is not a JWT: refused after the asynchronous check, with a nonce', async () => {
    const response = await postToken({ authorization: service.basic, dpop: 'not.a.proof' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['dpop-nonce']).toEqual(expect.any(String));
    expect(response.json()).toEqual({ error: 'invalid_dpop_proof', error_description: expect.any(String) });
  });

  it('two DPoP headers: 400 invalid_dpop_proof, each line counted as sent', async () => {
    const response = await postToken({ authorization: service.basic, dpop: ['a.b.c', 'd.e.f'] });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/more than one DPoP header/) });
  });
});
