import { describe, expect, it } from 'vitest';
import { isRegisteredRedirectUri } from '../../src/clients/redirect-match.js';
import { originProblem, redirectUriProblem } from '../../src/clients/uris.js';

describe('redirect URI registration rules', () => {
  it.each([
    'https://app.example/callback',
    'https://app.example:8443/cb?x=1',
    'http://localhost:8080/callback',
    'http://127.0.0.1/callback',
    'http://[::1]:9000/cb',
    'com.example.app:/oauth2redirect', // RFC 8252 7.1 private-use scheme
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each([
    ['callback', /absolute URL/],
    ['https://app.example/cb#frag', /fragment/],
    ['https://app.example/cb#', /fragment/],
    ['https://user:pw@app.example/cb', /credentials/],
    ['http://app.example/cb', /http only for localhost/],
    ['http://app.localhost/cb', /http only for localhost/],
    ['myapp:/cb', /reverse-domain private-use scheme/],
    ['javascript:alert(1)', /must use https/],
  ])('refuses %s', (uri, problem) => {
    expect(redirectUriProblem(uri)).toMatch(problem);
  });
});

describe('browser origin rules', () => {
  it.each([
    ['https://spa.example', undefined],
    ['http://localhost:5173', undefined],
    ['http://spa.example', /https/],
    ['https://spa.example/', /exactly an origin/],
    ['https://spa.example/app', /exactly an origin/],
    ['spa.example', /must be an origin/],
  ])('%s', (origin, problem) => {
    const result = originProblem(origin);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toMatch(problem);
  });
});

describe('redirect URI matching at /authorize (exact; any port on a loopback literal, RFC 8252 7.3)', () => {
  const registered = ['https://app.example/cb', 'http://127.0.0.1/native', 'http://[::1]:8000/native', 'http://localhost:8080/cb'];

  it.each([
    ['https://app.example/cb', true],
    ['https://app.example/cb/', false],
    ['https://APP.example/cb', false],
    ['https://app.example/cb?x=1', false],
    ['https://app.example:443/cb', false],
    ['http://127.0.0.1:51234/native', true],
    ['http://127.0.0.1/native', true],
    ['http://127.0.0.1:51234/other', false],
    ['http://127.0.0.1:70000/native', false],
    ['http://[::1]:1234/native', true],
    ['http://localhost:8080/cb', true],
    ['http://localhost:9090/cb', false], // localhost is compared exactly
    ['http://127.0.0.1.evil.example/native', false],
  ])('%s -> %s', (requested, expected) => {
    expect(isRegisteredRedirectUri(registered, requested)).toBe(expected);
  });
});
