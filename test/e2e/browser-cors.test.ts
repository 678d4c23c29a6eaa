import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient } from '../helpers/fixtures.js';
import { launchChromium, openTab, type BrowserTab } from '../helpers/chromium.js';

/** A web app's origin: a loopback server (on `localhost`, matched exactly, unlike 127.0.0.1) answering one empty page. */
async function startOrigin(): Promise<{ origin: string; stop(): Promise<void> }> {
  const server: Server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${(server.address() as { port: number }).port}`;
  return { origin, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface FetchResult {
  ok: boolean;
  status?: number;
  body?: unknown;
  error?: string;
}

/** fetch() run by the page itself (so under its origin and the browser's CORS rules). */
async function fetchFromPage(tab: BrowserTab, url: string, init: { method?: string; body?: string; credentials: 'include' | 'omit' | 'same-origin' }): Promise<FetchResult> {
  const script = `(async () => {
    try {
      const response = await fetch(${JSON.stringify(url)}, {
        method: ${JSON.stringify(init.method ?? 'GET')},
        credentials: ${JSON.stringify(init.credentials)},
        ${init.body === undefined ? '' : `headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: ${JSON.stringify(init.body)},`}
      });
      const text = await response.text();
      return { ok: true, status: response.status, body: text ? JSON.parse(text) : undefined };
    } catch (error) {
      return { ok: false, error: String(error) };
    }
  })()`;
  return tab.page.evaluate<FetchResult>(script);
}

describe('CORS in Chromium: per client at /token and /revoke, open to all at discovery and JWKS', { timeout: 90_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let appA: Awaited<ReturnType<typeof startOrigin>>;
  let appB: Awaited<ReturnType<typeof startOrigin>>;
  let appC: Awaited<ReturnType<typeof startOrigin>>;
  let clientA: string;
  let clientB: string;
  let confidentialC: { clientId: string; secret?: string };
  let tab: BrowserTab;

  beforeAll(async () => {
    browser = await launchChromium();
    [server, appA, appB, appC] = await Promise.all([startTestServer(), startOrigin(), startOrigin(), startOrigin()]);
    const db = server.database.db;
    // Public SPAs registered without --origin: their redirect URIs' origins are their browser origins.
    clientA = (await makeClient(db, { type: 'public', redirectUris: [`${appA.origin}/callback`] })).clientId;
    clientB = (await makeClient(db, { type: 'public', redirectUris: [`${appB.origin}/callback`] })).clientId;
    // A confidential client redirected to appC: its secret lives on a server, so appC's browser gets nothing.
    confidentialC = await makeClient(db, { type: 'confidential', tokenEndpointAuthMethod: 'client_secret_post', redirectUris: [`${appC.origin}/callback`] });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.stop(), appA?.stop(), appB?.stop(), appC?.stop()]);
  });

  async function tabOn(origin: string): Promise<BrowserTab> {
    await tab?.context.close();
    tab = await openTab(browser);
    await tab.page.goto(`${origin}/`);
    return tab;
  }

  const refreshBody = (clientId: string) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'lk_rt_not-a-token', client_id: clientId }).toString();

  it('a public SPA registered without --origin reads /token answers from its redirect URI origin, with and without credentials', async () => {
    const page = await tabOn(appA.origin);
    for (const credentials of ['omit', 'include'] as const) {
      const result = await fetchFromPage(page, `${server.url}/token`, { method: 'POST', body: refreshBody(clientA), credentials });
      expect(result, credentials).toEqual({ ok: true, status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });
      const revoked = await fetchFromPage(page, `${server.url}/revoke`, { method: 'POST', body: new URLSearchParams({ token: 'lk_rt_x', client_id: clientA }).toString(), credentials });
      expect(revoked, credentials).toEqual({ ok: true, status: 200 });
    }
  });

  it("client A's origin calling /token as client B: the browser is given no CORS answer, and the server refuses the call", async () => {
    const page = await tabOn(appA.origin);
    const result = await fetchFromPage(page, `${server.url}/token`, { method: 'POST', body: refreshBody(clientB), credentials: 'include' });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/Failed to fetch/);
    // The same call outside a browser shows what the server said.
    const direct = await fetch(`${server.url}/token`, { method: 'POST', headers: { origin: appA.origin, 'content-type': 'application/x-www-form-urlencoded' }, body: refreshBody(clientB) });
    expect(direct.status).toBe(401);
    expect(direct.headers.get('access-control-allow-origin')).toBeNull();
    expect(direct.headers.get('vary')).toMatch(/Origin/);
    expect(await direct.json()).toMatchObject({ error: 'invalid_client', error_description: 'this origin is not registered for the client' });
  });

  it('a confidential client gets no CORS from its redirect URI origin', async () => {
    const page = await tabOn(appC.origin);
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: confidentialC.clientId, client_secret: confidentialC.secret! }).toString();
    const result = await fetchFromPage(page, `${server.url}/token`, { method: 'POST', body, credentials: 'omit' });
    expect(result.ok).toBe(false);
  });

  it('a preflight (no body, no client) is answered for the union of origins, with Vary: Origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/token`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    for (const origin of [appA.origin, appB.origin]) {
      const response = await preflight(origin);
      expect(response.headers.get('access-control-allow-origin'), origin).toBe(origin);
      expect(response.headers.get('vary'), origin).toMatch(/Origin/);
    }
    for (const origin of [appC.origin, 'https://evil.example']) expect((await preflight(origin)).headers.get('access-control-allow-origin'), origin).toBeNull();
  });

  it('discovery and JWKS are readable from any origin, with and without credentials (oidc-client-ts fetches with them)', async () => {
    const page = await tabOn(appC.origin);
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/.well-known/jwks.json']) {
      for (const credentials of ['omit', 'include'] as const) {
        const result = await fetchFromPage(page, `${server.url}${path}`, { credentials });
        expect(result.ok, `${path} ${credentials}: ${result.error}`).toBe(true);
        expect(result.status).toBe(200);
      }
    }
    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`, { headers: { origin: appC.origin } });
    expect(discovery.headers.get('access-control-allow-origin')).toBe(appC.origin);
    expect(discovery.headers.get('access-control-allow-credentials')).toBe('true');
    expect(discovery.headers.get('vary')).toMatch(/Origin/);
    expect((await fetch(`${server.url}/.well-known/jwks.json`)).headers.get('access-control-allow-origin')).toBe('*');
  });
});
