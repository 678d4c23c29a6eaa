import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { collect, spawnLatchkey, waitForHttp } from '../helpers/process.js';
import { freePort } from '../helpers/ports.js';
import { SECRET_MARKERS } from './support.js';

interface LogLine {
  msg?: string;
  audit?: { type: string; userId?: string | null; clientId?: string | null; details?: Record<string, unknown> };
}

describe('audit events in the server log', () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
  });
  afterAll(async () => cli?.destroy());

  it('a real latchkey process logs token_issued as a structured line, without the token or the secret', async () => {
    // Migrate the store and register a client before the server holds it.
    expect((await cli.run(['migrate'])).status).toBe(0);
    const created = await cli.run(['client', 'create', '--name', 'svc', '--type', 'confidential', '--grant-types', 'client_credentials', '--scopes', 'orders:read']);
    expect(created.status, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };

    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const server = spawnLatchkey(['serve'], { ...cli.env, LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer });
    const done = collect(server);
    let accessToken: string;
    try {
      await waitForHttp(`${issuer}/healthz`);
      const response = await postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(client.client_id, client.client_secret) });
      expect(response.status).toBe(200);
      accessToken = ((await response.json()) as { access_token: string }).access_token;
    } finally {
      server.kill('SIGTERM');
    }
    const result = await done;
    expect(result.status).toBe(0);

    const lines = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);
    const issued = lines.filter((line) => line.audit?.type === 'token_issued');
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({
      msg: 'audit token_issued',
      audit: { type: 'token_issued', clientId: client.client_id, details: { grant: 'client_credentials', scope: 'orders:read', audience: issuer } },
    });
    const jti = (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    expect(issued[0]!.audit!.details!.jti).toBe(jti);

    const auditText = JSON.stringify(lines.filter((line) => line.audit));
    for (const marker of SECRET_MARKERS) expect(auditText).not.toContain(marker);
    expect(result.stdout).not.toContain(client.client_secret);
    expect(result.stdout).not.toContain(accessToken);

    // the row is there too
    const rows = await cli.inspect(({ db }) => db.selectFrom('audit_events').select(['type', 'client_id', 'details']).where('type', '=', 'token_issued').execute());
    expect(rows).toEqual([{ type: 'token_issued', client_id: client.client_id, details: issued[0]!.audit!.details }]);
  });
});
