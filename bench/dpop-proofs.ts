import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';

/**
 * DPoP proofs for the load generator: autocannon's setupRequest is synchronous, so each request's
 * proof is signed here with node:crypto (ES256, as oauth4webapi's default key would be), one
 * key per scenario, a fresh jti and iat every time.
 */
export function dpopProofs(): (htm: string, htu: string) => string {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } });
  return (htm, htu) => {
    const input = `${header}.${encode({ jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000) })}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
}
