import { importJWK, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { SIGNING_ALGS } from '../src/config.js';
import { generateSigningKey } from '../src/keys/generate.js';
import { JwsSigner } from '../src/keys/jws-signer.js';
import { KeyBox } from '../src/keys/crypto-box.js';
import { KeyRing } from '../src/keys/ring.js';
import { systemClock } from '../src/clock.js';
import { verifyToken } from '../src/tokens/verify.js';
import type { TokenContext } from '../src/tokens/context.js';
import { opsPerSecond, table } from './measure.js';

const CLAIMS = {
  iss: 'https://login.example.test',
  sub: 'user-123',
  aud: 'https://api.example.test',
  client_id: 'web-app',
  scope: 'openid profile email',
  jti: 'bench-jti',
};

/** Sign (node:crypto fast path vs jose SignJWT) and verify (Latchkey's verifyToken on node:crypto vs jose jwtVerify) per algorithm. */
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
    const box = new KeyBox('latchkey-benchmark-key-encryption-key');
    const row = { ...key, privateKeyEncrypted: box.seal(JSON.stringify(key.privateJwk), key.kid), activatesAt: 0, retiresAt: null, removesAt: null, createdAt: 0 };
    const ring = new KeyRing(() => Promise.resolve([row]), box, systemClock);
    await ring.reload();
    const context: TokenContext = { ring, clock: systemClock, issuer: CLAIMS.iss, accessTokenTtlSeconds: 600, idTokenTtlSeconds: 600, clockToleranceSeconds: 30 };
    rows.push({
      alg,
      'fast sign ops/s': await opsPerSecond(() => signer.sign(payload, 'at+jwt')),
      'jose SignJWT ops/s': await opsPerSecond(() =>
        new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, typ: 'at+jwt' }).sign(privateKey),
      ),
      'verifyToken ops/s': await opsPerSecond(() => verifyToken(context, token, { typ: 'at+jwt', audience: CLAIMS.aud })),
      'jose jwtVerify ops/s': await opsPerSecond(() => jwtVerify(token, publicKey, { algorithms: [alg], typ: 'at+jwt' })),
    });
  }
  console.log('\nSigning and verification, one core:');
  table(rows);
}
