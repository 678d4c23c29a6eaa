import autocannon from 'autocannon';
import { importJWK, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { SIGNING_ALGS } from '../src/config.js';
import { generateSigningKey } from '../src/keys/generate.js';
import { JwsSigner } from '../src/tokens/jws.js';
import { opsPerSecond, table } from './measure.js';
import { startBenchServer } from './server.js';

const CLAIMS = {
  iss: 'https://login.example.test',
  sub: 'user-123',
  aud: 'https://api.example.test',
  client_id: 'web-app',
  scope: 'openid profile email',
  jti: 'bench-jti',
};

/** Sign (node:crypto fast path vs jose SignJWT) and verify (jose jwtVerify) per algorithm. */
export async function signAndVerify(): Promise<void> {
  const rows = [];
  for (const alg of SIGNING_ALGS) {
    const key = await generateSigningKey(alg);
    const signer = new JwsSigner(key.kid, alg, key.privateJwk);
    const privateKey = (await importJWK(key.privateJwk, alg)) as CryptoKey;
    const publicKey = (await importJWK(key.publicJwk, alg)) as CryptoKey;
    const now = Math.floor(Date.now() / 1000);
    const payload = { ...CLAIMS, iat: now, exp: now + 600 };
    const token = signer.sign(payload, 'at+jwt');
    rows.push({
      alg,
      'fast sign ops/s': await opsPerSecond(() => signer.sign(payload, 'at+jwt')),
      'jose SignJWT ops/s': await opsPerSecond(() =>
        new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, typ: 'at+jwt' }).sign(privateKey),
      ),
      'jose jwtVerify ops/s': await opsPerSecond(() => jwtVerify(token, publicKey, { algorithms: [alg], typ: 'at+jwt' })),
    });
  }
  console.log('\nSigning and verification, one core:');
  table(rows);
}

/** GET /.well-known/jwks.json against a real server process on 127.0.0.1, 5 s per variant. */
export async function jwksRequests(): Promise<void> {
  const server = await startBenchServer();
  try {
    const url = `${server.url}/.well-known/jwks.json`;
    const etag = (await fetch(url)).headers.get('etag') ?? '';
    const rows = [];
    for (const [label, headers] of [
      ['200 (full body)', {}],
      ['304 (If-None-Match)', { 'if-none-match': etag }],
    ] as const) {
      const result = await autocannon({ url, connections: 50, duration: 5, headers });
      rows.push({
        request: label,
        'requests/s': Math.round(result.requests.average),
        'p50 ms': result.latency.p50,
        'p99 ms': result.latency.p99,
        errors: result.errors + result.timeouts,
      });
    }
    console.log('\nGET /.well-known/jwks.json, 50 connections, 5 s each:');
    table(rows);
  } finally {
    await server.stop();
  }
}
