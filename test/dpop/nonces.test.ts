import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient } from '../helpers/fixtures.js';
import { basicAuth } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { NONCE_WINDOW_SECONDS } from '../../src/dpop/nonce.js';
import { makeProof, proofKey, type ProofKey } from './support.js';

/*
 * Server nonces (RFC 9449 8, 9) with DPOP_NONCE=required, on two app instances sharing one
 * database and one KEY_ENCRYPTION_KEY behind one issuer: a nonce either instance hands out is
 * accepted by the other (no shared state but the key), a proof used at one is a replay at the
 * other (the replay table), and nonces go stale as the shared clock moves.
 */
describe('DPoP nonces across two instances', () => {
  let a: TestServer;
  let b: TestServer;
  let key: ProofKey;
  let service: { clientId: string; secret?: string };
  let ops: { clientId: string; secret?: string };
  const clock = new ManualClock();

  beforeAll(async () => {
    a = await startTestServer({ DPOP_NONCE: 'required', RATE_LIMIT_TOKEN: '0' }, undefined, { clock });
    // B answers on its own port but publishes A's issuer: both stand behind one public name.
    b = await startTestServer({ DPOP_NONCE: 'required', RATE_LIMIT_TOKEN: '0', ISSUER: a.url }, a.database, { clock });
    key = await proofKey('ES256');
    service = await makeClient(a.database.db, { grantTypes: ['client_credentials'], scopes: ['orders:read'] });
    ops = await makeClient(a.database.db, { name: 'ops', admin: true });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  const iat = () => Math.floor(clock.now() / 1000);
  const tokenProof = (nonce?: string) => makeProof(key, { htu: `${a.url}/token`, iat: iat(), ...(nonce ? { nonce } : {}) });
  const token = (server: TestServer, proof: string, client = service) =>
    fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(client.clientId, client.secret!), 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(client === ops ? { scope: 'admin' } : {}) }).toString(),
    });

  async function nonceRequired(response: Response): Promise<string> {
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('use_dpop_nonce');
    const nonce = response.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return nonce!;
  }

  it('refuses a proof without a nonce with use_dpop_nonce and a DPoP-Nonce header', async () => {
    await nonceRequired(await token(a, await tokenProof()));
  });

  it('accepts at B a nonce A handed out, and the other way round', async () => {
    const fromA = await nonceRequired(await token(a, await tokenProof()));
    expect((await token(b, await tokenProof(fromA))).status).toBe(200);
    const fromB = await nonceRequired(await token(b, await tokenProof()));
    expect((await token(a, await tokenProof(fromB))).status).toBe(200);
  });

  it('refuses at B a proof already used at A', async () => {
    const nonce = await nonceRequired(await token(a, await tokenProof()));
    const proof = await tokenProof(nonce);
    expect((await token(a, proof)).status).toBe(200);
    const replayed = await token(b, proof);
    expect(replayed.status).toBe(400);
    expect(((await replayed.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it('keeps a nonce good for the next window, and refuses it as stale after that', async () => {
    const nonce = await nonceRequired(await token(a, await tokenProof()));
    clock.advance(NONCE_WINDOW_SECONDS * 1000);
    expect((await token(b, await tokenProof(nonce))).status).toBe(200);
    clock.advance(NONCE_WINDOW_SECONDS * 1000);
    const fresh = await nonceRequired(await token(b, await tokenProof(nonce)));
    expect(fresh).not.toBe(nonce);
    expect((await token(a, await tokenProof(fresh))).status).toBe(200);
  });

  it('asks for a nonce at a resource too: 401 with a use_dpop_nonce challenge', async () => {
    const nonce = await nonceRequired(await token(a, await tokenProof(), ops));
    const issued = await token(a, await tokenProof(nonce), ops);
    const { access_token } = (await issued.json()) as { access_token: string };
    const url = `${a.url}/admin/clients`;
    const call = async (server: TestServer, proofNonce?: string) =>
      fetch(`${server.url}/admin/clients`, {
        headers: { authorization: `DPoP ${access_token}`, dpop: await makeProof(key, { htu: url, htm: 'GET', iat: iat(), accessToken: access_token, ...(proofNonce ? { nonce: proofNonce } : {}) }) },
      });
    const refused = await call(b);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^DPoP algs="[^"]+", error="use_dpop_nonce"/);
    const resourceNonce = refused.headers.get('dpop-nonce')!;
    expect((await call(a, resourceNonce)).status).toBe(200);
  });
});
