import type { TestServer } from './server.js';
import { makeClient } from './fixtures.js';
import { basicAuth, postForm } from './flow.js';

/** An --admin client and a fresh admin access token from client_credentials. */
export async function adminToken(server: TestServer): Promise<{ token: string; clientId: string; secret: string }> {
  const admin = await makeClient(server.database.db, { name: 'ops', admin: true, type: 'confidential' });
  const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basicAuth(admin.clientId, admin.secret!) });
  if (response.status !== 200) throw new Error(`admin token: ${response.status} ${await response.text()}`);
  const { access_token } = (await response.json()) as { access_token: string };
  return { token: access_token, clientId: admin.clientId, secret: admin.secret! };
}

export function adminFetch(server: TestServer, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown> & { items?: Record<string, unknown>[] }) : undefined };
  };
}
