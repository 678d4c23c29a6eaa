import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { usingPostgres } from '../helpers/database.js';
import { collect, runLatchkey, spawnLatchkey, waitForHttp } from '../helpers/process.js';
import { freePort } from '../helpers/ports.js';

// Spawned node + tsx processes: allow for a busy machine.
describe('the latchkey executable', { timeout: 120_000 }, () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
  });
  afterAll(async () => cli?.destroy());

  it('reads the password from a real stdin pipe and exits 0', async () => {
    const result = await runLatchkey(['user', 'create', '--username', 'piped', '--password-stdin'], cli.env, 'pw from pipe\n');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).username).toBe('piped');
  });

  it('exits 2 on bad input', async () => {
    const result = await runLatchkey(['client', 'create', '--name', 'x', '--type', 'public', '--redirect-uri', 'http://evil.example/cb'], cli.env);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^latchkey: redirect_uris\.0: redirect URI "http:\/\/evil.example\/cb" may use http only for localhost/);
  });

  it('serves, answers /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = spawnLatchkey(['serve'], { ...cli.env, LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1' });
    const done = collect(server);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 100_000);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

      // On the embedded store the CLI must refuse to open the data dir the server holds;
      // on Postgres it runs beside the server.
      const beside = await runLatchkey(['user', 'create', '--username', 'beside', '--password-stdin'], cli.env, 'long enough');
      if (usingPostgres) {
        expect(beside.status).toBe(0);
      } else {
        expect(beside.status).toBe(2);
        expect(beside.stderr).toMatch(/^latchkey: the embedded database in .* is in use by process \d+/);
      }
    } finally {
      server.kill('SIGTERM');
    }
    const result = await done;
    expect(result.status).toBe(0);
    // stderr: the two sentences for whoever started it (the issuer derived: ISSUER is unset here); stdout: the JSON log.
    expect(result.stderr).toMatch(new RegExp(`^latchkey: listening on http://127\\.0\\.0\\.1:${port}, using .+\nlatchkey: issuer http://127\\.0\\.0\\.1:${port} \\(ISSUER is unset, so it is derived from HOST and PORT; [^\n]*\\)\n$`));
    expect(result.stdout).toMatch(/"msg":"shutting down"/);

    // The lock is released on shutdown: the CLI can open the store again.
    const after = await runLatchkey(['user', 'create', '--username', 'after', '--password-stdin'], cli.env, 'long enough');
    expect(after.status).toBe(0);
  });
});
