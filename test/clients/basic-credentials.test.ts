import { describe, expect, it } from 'vitest';
import { parseBasicCredentials, usesBasicScheme } from '../../src/clients/auth-methods/basic-credentials.js';

const basic = (raw: string) => `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;

describe('Basic client credentials (RFC 6749 2.3.1)', () => {
  it.each([
    ['a plain id and secret', basic('app:lk_cs_secret'), { clientId: 'app', secret: 'lk_cs_secret' }],
    ['form-urlencoded id and secret', basic('my%20app:p%3Ass%2Bw'), { clientId: 'my app', secret: 'p:ss+w' }],
    ['+ as a space', basic('my+app:a+b'), { clientId: 'my app', secret: 'a b' }],
    ['a colon inside the secret (only the first one splits)', basic('app:a:b'), { clientId: 'app', secret: 'a:b' }],
    ['an empty secret', basic('app:'), { clientId: 'app', secret: '' }],
    ['the scheme in any case, with surrounding space', `  bAsIc ${Buffer.from('app:s').toString('base64')}  `, { clientId: 'app', secret: 's' }],
    ['UTF-8 in the id', basic('%C3%A9t%C3%A9:s'), { clientId: 'été', secret: 's' }],
  ])('reads %s', (_label, header, expected) => {
    expect(parseBasicCredentials(header)).toEqual(expected);
  });

  it.each([
    ['no colon', basic('justid')],
    ['not base64', 'Basic !!!'],
    ['a broken percent-encoding', basic('%zz:secret')],
    ['no credentials after the scheme', 'Basic '],
    ['another scheme', 'Bearer abc'],
    ['two base64 words', `Basic ${Buffer.from('a:b').toString('base64')} extra`],
    ['an oversized header', `Basic ${'A'.repeat(2001)}`],
  ])('refuses %s', (_label, header) => {
    expect(parseBasicCredentials(header)).toBeUndefined();
  });

  it.each([
    ['Basic abc', true],
    ['basic abc', true],
    ['Basic !!!', true],
    ['Bearer abc', false],
    ['Basically', false],
    [undefined, false],
  ])('%j uses the Basic scheme: %s', (header, expected) => {
    expect(usesBasicScheme(header)).toBe(expected);
  });
});
