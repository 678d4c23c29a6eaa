import { describe, expect, it } from 'vitest';
import { clientSecretMatches, generateClientId, generateClientSecret, sha256Hex } from '../../src/clients/secret.js';
import { originProblem, redirectUriProblem } from '../../src/clients/uris.js';

describe('client secrets', () => {
  it('are 256 random bits with a scannable prefix, and unique', () => {
    const secrets = new Set(Array.from({ length: 100 }, generateClientSecret));
    expect(secrets.size).toBe(100);
    for (const secret of secrets) expect(secret).toMatch(/^lk_cs_[A-Za-z0-9_-]{43}$/);
    expect(generateClientId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('match only their own hash', () => {
    const secret = generateClientSecret();
    const stored = sha256Hex(secret);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(secret);
    expect(clientSecretMatches(secret, stored)).toBe(true);
    expect(clientSecretMatches(`${secret}x`, stored)).toBe(false);
    expect(clientSecretMatches(stored, stored)).toBe(false); // the hash itself is not a credential
    expect(clientSecretMatches(secret, null)).toBe(false);
    expect(clientSecretMatches(secret, 'abc')).toBe(false);
  });
});

describe('redirect URI and origin rules', () => {
  it.each([
    'https://app.example.com/cb',
    'https://app.example.com:8443/cb?x=1',
    'http://localhost:3000/cb',
    'http://127.0.0.1/cb',
    'http://[::1]:8080/cb',
    'com.example.app:/oauth2redirect',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each(['http://example.com/cb', 'https://a.example/cb#', 'https://u@a.example/cb', 'javascript:alert(1)', 'file:///etc/passwd', 'cb', 'myapp:/cb', 'https://a.example/c b'])(
    'refuses %s',
    (uri) => {
      expect(redirectUriProblem(uri)).toBeTypeOf('string');
    },
  );

  it('accepts only bare origins', () => {
    expect(originProblem('https://app.example.com')).toBeUndefined();
    expect(originProblem('http://localhost:5173')).toBeUndefined();
    expect(originProblem('https://app.example.com/')).toMatch(/did you mean https:\/\/app.example.com/);
    expect(originProblem('https://APP.example.com')).toBeTypeOf('string');
    expect(originProblem('*')).toBeTypeOf('string');
    expect(originProblem('null')).toBeTypeOf('string');
  });
});
