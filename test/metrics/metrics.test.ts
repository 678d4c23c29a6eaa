import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { loginTokens, refresh } from '../helpers/tokens.js';

const REDIRECT = 'https://app.example.com/cb';

function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('GET /metrics', () => {
  let server: TestServer;
  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_TOKEN: '3', REFRESH_REUSE_GRACE: '0' });
  });
  afterAll(async () => server?.stop());

  it('exposes the documented metrics in Prometheus text format', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of [
      'latchkey_http_requests_total',
      'latchkey_http_request_duration_seconds',
      'latchkey_tokens_issued_total',
      'latchkey_refresh_reuse_detected_total',
      'latchkey_login_failures_total',
      'latchkey_rate_limit_rejections_total',
      'latchkey_signing_key_age_seconds',
      'latchkey_process_resident_memory_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(sample(text, 'latchkey_signing_key_age_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('counts requests by route pattern, tokens per grant, reuse detections and rate-limit rejections', async () => {
    const before = await scrape();
    const user = await makeUser(server.database.db, { username: 'metered' });
    const app = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
    const tokens = await loginTokens(server.url, app, REDIRECT, 'metered', user.password);
    expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(200);
    expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(400); // reuse
    const service = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['x'] });
    const limited = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(service.clientId, service.secret!) });
    expect(limited.status).toBe(429);
    const after = await scrape();

    const delta = (name: string, labels = '') => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('latchkey_tokens_issued_total', 'grant="authorization_code"')).toBe(1);
    expect(delta('latchkey_tokens_issued_total', 'grant="refresh_token"')).toBe(1);
    expect(delta('latchkey_refresh_reuse_detected_total')).toBeGreaterThanOrEqual(1);
    expect(delta('latchkey_rate_limit_rejections_total', 'route="/token"')).toBe(1);
    expect(delta('latchkey_http_requests_total', 'method="POST",route="/token",status="200"')).toBe(2);
    expect(after).not.toMatch(/route="\/authorize\?/); // patterns, not raw URLs
  });
});
