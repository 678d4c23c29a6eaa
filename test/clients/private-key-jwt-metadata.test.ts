import { describe, expect, it } from 'vitest';
import { checkClientMetadata } from '../../src/clients/metadata-problems.js';
import { fetchKeySet } from '../../src/clients/client-keys.js';
import { ClientKeysUnavailable } from '../../src/clients/auth-methods/assertion-checks.js';
import { MAX_JWKS_KEYS } from '../../src/clients/jwks.js';

const EC_KEY = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' };
const base = { name: 'Service', type: 'confidential', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' };

function problemOf(input: Record<string, unknown>): string {
  const checked = checkClientMetadata(input);
  if (checked.ok) throw new Error('expected a problem');
  return checked.problems.map((p) => `${p.field}: ${p.message}`).join('\n');
}

describe('private_key_jwt client metadata', () => {
  it('accepts keys by reference (https, or http on loopback) or by value, and keeps only `keys`', () => {
    for (const jwks_uri of ['https://keys.example.com/jwks.json', 'http://127.0.0.1:8080/jwks', 'http://localhost/jwks', 'http://[::1]:9/jwks']) {
      const checked = checkClientMetadata({ ...base, jwks_uri });
      expect(checked.ok && checked.metadata.jwksUri).toBe(jwks_uri);
    }
    const checked = checkClientMetadata({ ...base, jwks: { keys: [EC_KEY], extra: 'dropped' } });
    expect(checked.ok && checked.metadata.jwks).toEqual({ keys: [EC_KEY] });
  });

  it.each([
    ['no keys at all', {}, /needs its public keys/],
    ['both jwks_uri and jwks', { jwks_uri: 'https://keys.example.com/jwks', jwks: { keys: [EC_KEY] } }, /not both/],
    ['an http jwks_uri on another host', { jwks_uri: 'http://keys.example.com/jwks' }, /https/],
    ['a jwks_uri with credentials', { jwks_uri: 'https://u:p@keys.example.com/jwks' }, /credentials/],
    ['a jwks_uri with a fragment', { jwks_uri: 'https://keys.example.com/jwks#x' }, /fragment/],
    ['a relative jwks_uri', { jwks_uri: '/jwks' }, /absolute/],
    ['a file: jwks_uri', { jwks_uri: 'file:///etc/passwd' }, /https/],
    ['a private key in jwks', { jwks: { keys: [{ ...EC_KEY, d: 'secret' }] } }, /private member "d"/],
    ['a symmetric key in jwks', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /RSA, EC or OKP/],
    ['an empty key set', { jwks: { keys: [] } }, /at least one/],
    ['too many keys', { jwks: { keys: Array.from({ length: MAX_JWKS_KEYS + 1 }, (_, i) => ({ ...EC_KEY, kid: `k${i}` })) } }, /at most/],
    ['an oversized key set', { jwks: { keys: [{ ...EC_KEY, x: 'A'.repeat(70_000) }] } }, /bytes/],
    ['jwks that is not a set', { jwks: { key: EC_KEY } }, /"keys" array/],
  ])('refuses %s', (_label, extra, message) => {
    expect(problemOf({ ...base, ...extra })).toMatch(message);
  });

  it('refuses keys on a client of another method, and private_key_jwt for a public client', () => {
    expect(problemOf({ ...base, token_endpoint_auth_method: 'client_secret_basic', jwks: { keys: [EC_KEY] } })).toMatch(/only for private_key_jwt/);
    expect(problemOf({ name: 'SPA', type: 'public', redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [EC_KEY] } })).toMatch(/public client authenticates with none/);
  });

  it('never fetches an http jwks_uri when http is not allowed (production), even on loopback', async () => {
    await expect(fetchKeySet('http://127.0.0.1:9/jwks', { timeoutMs: 1000, allowHttp: false })).rejects.toBeInstanceOf(ClientKeysUnavailable);
    await expect(fetchKeySet('ftp://127.0.0.1/jwks', { timeoutMs: 1000, allowHttp: true })).rejects.toBeInstanceOf(ClientKeysUnavailable);
    await expect(fetchKeySet('http://keys.example.com/jwks', { timeoutMs: 1000, allowHttp: true })).rejects.toBeInstanceOf(ClientKeysUnavailable);
  });
});
