import { describe, expect, it } from 'vitest';
import { formatUserCode, hashUserCode, newUserCode, normaliseUserCode, USER_CODE_ALPHABET, USER_CODE_LENGTH } from '../../src/oauth/device/user-code.js';
import { sha256Hex } from '../../src/opaque-token.js';

describe('user codes (RFC 8628 6.1)', () => {
  it('uses the 20 unambiguous consonants: no vowels, no digits, no Y', () => {
    expect(USER_CODE_ALPHABET).toBe('BCDFGHJKLMNPQRSTVWXZ');
    expect(new Set(USER_CODE_ALPHABET).size).toBe(20);
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/);
    expect(USER_CODE_LENGTH).toBe(8);
  });

  it('draws 8 letters of the alphabet, every letter about equally often over 20k codes', () => {
    const counts = new Map<string, number>();
    const codes = new Set<string>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const code = newUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      codes.add(code);
      for (const letter of code) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    }
    expect([...counts.keys()].sort().join('')).toBe(USER_CODE_ALPHABET);
    // 160k letters, 8000 expected per letter, sd ≈ 87: ±10% is more than 9 sd, so this only fails when biased.
    for (const count of counts.values()) expect(Math.abs(count - 8000)).toBeLessThan(800);
    // 20k draws from 2.6e10 codes: a repeat has probability ~0.8%; more than one means a broken generator.
    expect(codes.size).toBeGreaterThanOrEqual(n - 1);
  });

  it('shows codes as XXXX-XXXX and stores only their SHA-256', () => {
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
    expect(hashUserCode('BCDFGHJK')).toBe(sha256Hex('BCDFGHJK'));
    expect(hashUserCode('BCDFGHJK')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('formats and normalises back to the same code', () => {
    for (let i = 0; i < 100; i++) {
      const code = newUserCode();
      expect(normaliseUserCode(formatUserCode(code))).toBe(code);
      expect(normaliseUserCode(formatUserCode(code).toLowerCase())).toBe(code);
    }
  });

  it.each([
    ['BCDF-GHJK', 'BCDFGHJK'],
    ['BCDFGHJK', 'BCDFGHJK'],
    ['bcdf-ghjk', 'BCDFGHJK'],
    ['bcdfghjk', 'BCDFGHJK'],
    ['BcDf gHjK', 'BCDFGHJK'],
    ['  bcdf  ghjk  ', 'BCDFGHJK'],
    ['\tBCDF-GHJK\t', 'BCDFGHJK'],
    ['b-c-d-f-g-h-j-k', 'BCDFGHJK'],
    ['BCDF--GHJK', 'BCDFGHJK'],
    ['ZZZZ-ZZZZ', 'ZZZZZZZZ'],
  ])('accepts %j as %s', (typed, canonical) => {
    expect(normaliseUserCode(typed)).toBe(canonical);
  });

  it.each([
    ['empty', ''],
    ['only separators', ' - - '],
    ['7 letters', 'BCDF-GHJ'],
    ['9 letters', 'BCDF-GHJKL'],
    ['a vowel', 'BCDF-GHJA'],
    ['Y', 'BCDF-GHJY'],
    ['a digit for a look-alike letter (0 for O, 8 for B)', '8CDF-GHJK'],
    ['an underscore', 'BCDF_GHJK'],
    ['a dot', 'BCDF.GHJK'],
    ['a slash', 'BCDF/GHJK'],
    ['a newline', 'BCDF\nGHJK'],
    ['NUL inside', 'BCDF\u0000GHJK'],
    ['NUL after', 'BCDFGHJK\u0000'],
    ['Cyrillic Ве (looks like B)', '\u0412CDF-GHJK'],
    ['fullwidth Ｂ', '\uFF22CDF-GHJK'],
    ['long s ſ (upper-cases to S)', 'BCDF-GHJ\u017F'],
    ['sharp s ß (upper-cases to SS)', 'BCDF-GH\u00DF'],
    ['Kelvin sign K', 'BCDF-GHJ\u212A'],
    ['zero-width space', 'BCDF\u200BGHJK'],
    ['non-breaking space', 'BCDF\u00A0GHJK'],
    ['en dash', 'BCDF\u2013GHJK'],
    ['combining mark', 'BCDF-GHJK\u0301'],
    ['an emoji', 'BCDF-GHJ😀'],
    ['SQL', "BCDF' OR '1'='1"],
    ['markup', '<b>BCDFGHJK</b>'],
    ['1000 letters', 'B'.repeat(1000)],
    ['1000 separators around a code', `${' '.repeat(496)}BCDFGHJK${'-'.repeat(496)}`],
  ])('refuses %s', (_name, typed) => {
    expect(normaliseUserCode(typed)).toBeUndefined();
  });

  it.each([[undefined], [null], [12345678], [['BCDFGHJK']], [{ toString: () => 'BCDFGHJK' }]])('refuses the non-string %j', (value) => {
    expect(normaliseUserCode(value)).toBeUndefined();
  });
});
