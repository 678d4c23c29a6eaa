import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('HTTP hardening', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('answers /healthz with 200 and no caching', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('sends security headers on every response', async () => {
    for (const path of ['/healthz', '/no-such-path']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('adds the headers that govern only documents to HTML pages, and only to them', async () => {
    const documentOnly = {
      'cross-origin-opener-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    };
    const page = await fetch(`${server.url}/authorize`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    for (const [name, value] of Object.entries(documentOnly)) expect(page.headers.get(name)).toBe(value);
    for (const path of ['/healthz', '/.well-known/jwks.json', '/no-such-path']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get('cross-origin-resource-policy')).not.toBeNull();
      for (const name of Object.keys(documentOnly)) expect(response.headers.get(name)).toBeNull();
    }
  });

  it('gives each request its own id and ignores one sent by the client', async () => {
    const first = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'attacker-chosen' } });
    const second = await fetch(`${server.url}/healthz`);
    const id = first.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers.get('x-request-id')).not.toBe(id);
  });

  it('answers an unknown path with a JSON 404', async () => {
    const response = await fetch(`${server.url}/admin/../../etc/passwd`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
  });

  it('refuses an oversized body with 413 invalid_request, never 500', async () => {
    const response = await fetch(`${server.url}/healthz`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `a=${'x'.repeat(100 * 1024)}`,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'the request body is too large' });
  });

  it('never leaks a stack trace for malformed requests', async () => {
    const attempts = [
      fetch(`${server.url}/healthz?${'a=1&'.repeat(5000)}`),
      fetch(`${server.url}/%E0%A4%A`),
      fetch(`${server.url}/healthz`, { method: 'OPTIONS' }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBeLessThan(500);
      expect(await response.text()).not.toMatch(/\bat \w+ \(|node_modules|Error:/);
    }
  });
});
