import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { openDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/*
 * Contract item 5: `latchkey client create ... --grant-types urn:ietf:params:oauth:grant-type:device_code,refresh_token`
 * works without a redirect URI (public or confidential), and the client it creates can start a
 * device authorization on a server over the same database.
 */

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe('latchkey client create for a device client', { timeout: 60_000 }, () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
    expect((await cli.run(['migrate'])).status).toBe(0);
  });
  afterAll(async () => cli?.destroy());

  it('creates public and confidential device clients with no redirect URI, and both can start a device authorization', async () => {
    const tv = await cli.run(['client', 'create', '--name', 'TV', '--type', 'public', '--grant-types', `${DEVICE_GRANT},refresh_token`]);
    expect(tv.status, tv.stderr).toBe(0);
    const publicClient = JSON.parse(tv.stdout) as Record<string, unknown>;
    expect(publicClient).toMatchObject({ name: 'TV', type: 'public', grant_types: [DEVICE_GRANT, 'refresh_token'], redirect_uris: [] });
    expect(publicClient.client_secret).toBeUndefined();

    const box = await cli.run(['client', 'create', '--name', 'Set-top box', '--type', 'confidential', '--grant-types', DEVICE_GRANT]);
    expect(box.status, box.stderr).toBe(0);
    const confidential = JSON.parse(box.stdout) as Record<string, string>;
    expect(confidential).toMatchObject({ type: 'confidential', grant_types: [DEVICE_GRANT] });
    expect(confidential.client_secret).toMatch(/^lk_cs_/);

    const help = await cli.run(['client', 'create', '--help']);
    expect(help.stdout + help.stderr).toContain(DEVICE_GRANT);

    const database = await openDatabase({ databaseUrl: cli.env.DATABASE_URL, dataDir: cli.env.DATA_DIR ?? '' });
    await migrateToLatest(database.db);
    const server = await startTestServer({}, database);
    try {
      const fromTv = await postForm(`${server.url}/device_authorization`, { client_id: String(publicClient.client_id), scope: 'openid offline_access' });
      expect(fromTv.status).toBe(200);
      const fromBox = await postForm(`${server.url}/device_authorization`, { scope: 'openid' }, { authorization: basicAuth(confidential.client_id!, confidential.client_secret!) });
      expect(fromBox.status).toBe(200);
      expect(((await fromBox.json()) as { user_code: string }).user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    } finally {
      await server.stop();
      await database.close();
    }
  });
});
