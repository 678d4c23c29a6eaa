import { importJWK, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { SIGNING_ALGS } from '../src/config.js';
import { generateSigningKey } from '../src/keys/generate.js';
import { JwsSigner } from '../src/keys/jws-signer.js';
import { opsPerSecond, table } from './measure.js';

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
