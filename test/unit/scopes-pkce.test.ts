import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isValidS256Challenge, verifierMatchesChallenge } from '../../src/oauth/pkce.js';
import { formatScope, isSubset, parseScope } from '../../src/oauth/scopes.js';
import { CATALOGUES, describeScope } from '../../src/pages/messages/index.js';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

describe('scope strings (RFC 6749 3.3)', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['openid', ['openid']],
    ['openid  profile', ['openid', 'profile']],
    [' openid profile openid ', ['openid', 'profile']],
  ] as const)('parseScope(%j) = %j', (input, expected) => {
    expect(parseScope(input)).toEqual(expected);
  });

  it('formatScope drops duplicates and keeps order', () => {
    expect(formatScope(['b', 'a', 'b'])).toBe('b a');
  });

  it.each([
    [[], ['openid'], true],
    [['openid'], ['openid', 'profile'], true],
    [['openid', 'admin'], ['openid', 'profile'], false],
    [['Openid'], ['openid'], false], // scope values are case-sensitive
  ])('isSubset(%j, %j) = %s', (requested, allowed, expected) => {
    expect(isSubset(requested, allowed)).toBe(expected);
  });

  it('describes unknown scopes generically', () => {
    expect(describeScope(CATALOGUES.en, 'email')).toBe('your email address');
    expect(describeScope(CATALOGUES.en, 'orders:write')).toBe('access defined by the application');
  });
});

describe('PKCE S256 (RFC 7636)', () => {
  const verifier = 'a'.repeat(43);

  it.each([
    [s256(verifier), true],
    ['A'.repeat(43), true],
    ['A'.repeat(42), false],
    ['A'.repeat(44), false],
    ['A'.repeat(42) + '=', false],
    ['A'.repeat(42) + '+', false],
  ])('isValidS256Challenge(%s) = %s', (challenge, expected) => {
    expect(isValidS256Challenge(challenge)).toBe(expected);
  });

  it.each([
    ['the verifier of the challenge', verifier, s256(verifier), true],
    ['another verifier', 'b'.repeat(43), s256(verifier), false],
    ['a verifier shorter than 43 characters (4.1)', 'a'.repeat(42), s256('a'.repeat(42)), false],
    ['a verifier longer than 128 characters', 'a'.repeat(129), s256('a'.repeat(129)), false],
    ['a verifier with a character outside the unreserved set', 'a'.repeat(42) + '+', s256('a'.repeat(42) + '+'), false],
    ['the plain method (verifier == challenge)', verifier, verifier, false],
    ['a 128-character verifier', 'x'.repeat(128), s256('x'.repeat(128)), true],
  ])('%s', (_name, candidate, challenge, expected) => {
    expect(verifierMatchesChallenge(candidate, challenge)).toBe(expected);
  });
});
