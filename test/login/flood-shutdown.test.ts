import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { openLoginForm, postLogin } from '../helpers/login-form.js';
import { freePort } from '../helpers/ports.js';
import { collect, runLatchkey, spawnLatchkey, waitForHttp } from '../helpers/process.js';
import { waitUntil } from '../helpers/wait-until.js';

// Issue 16, as it was seen: SIGTERM while logins wait for argon2 logged "driver has already been
// destroyed" (requests still running after the pool closed). The real executable, a flood of
// wrong-password logins behind one argon2 slot, SIGTERM while they wait.

const REDIRECT = 'http://127.0.0.1:9/callback';
const LOGINS = 30;

describe('SIGTERM during a login flood', () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
  });
  afterAll(async () => cli?.destroy());

  it('answers each waiting login (normal page or 503), exits 0 and logs no error', async () => {
    expect((await runLatchkey(['user', 'create', '--username', 'flooded', '--password-stdin'], cli.env, 'the right password')).status).toBe(0);
    const created = await runLatchkey(['client', 'create', '--name', 'web', '--type', 'public', '--redirect-uri', REDIRECT], cli.env);
    expect(created.status).toBe(0);
    const clientId = String((JSON.parse(created.stdout) as { client_id: string }).client_id);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = spawnLatchkey(['serve'], {
      ...cli.env,
      LOG_LEVEL: 'info',
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: url,
      RATE_LIMIT_LOGIN: '0',
      PASSWORD_HASH_CONCURRENCY: '1',
      PASSWORD_HASH_QUEUE_SIZE: String(LOGINS),
    });
    const done = collect(server);
    let answers: Promise<PromiseSettledResult<{ status: number }>[]> | undefined;
    try {
      await waitForHttp(`${url}/healthz`);
      const browser = new BrowserAgent(url);
      const form = await openLoginForm(browser, url, clientId, REDIRECT);
      const fields = { csrf_token: form.csrf, request_id: form.requestId, username: 'flooded', password: 'wrong' };
      const posts = Array.from({ length: LOGINS }, () => postLogin(url, browser.cookieHeader(), fields));
      answers = Promise.allSettled(posts.map((post) => post.answer));
      // Every login has reached the gate (a connection the server never accepted would only be
      // reset when it stops listening), and at least five still wait for the slot.
      const allInAndWaiting = async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const read = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
        const queued = read(/^latchkey_password_hashes\{state="queued"\} (\d+)$/m);
        const reserved = read(/^latchkey_password_hashes\{state="reserved"\} (\d+)$/m);
        const started = read(/^latchkey_password_work_started_total (\d+)$/m);
        return started + queued + reserved >= LOGINS && queued >= 5;
      };
      await waitUntil(allInAndWaiting, { timeoutMs: 60_000, intervalMs: 20, what: 'every login at the gate, five waiting' });
    } finally {
      server.kill('SIGTERM');
    }
    const settled = await answers!;
    const result = await done;

    const statuses = settled.map((s) => (s.status === 'fulfilled' ? s.value.status : String(s.reason)));
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(statuses).toContain(503); // waiting when SIGTERM came
    expect(result.status).toBe(0);
    // stderr: only serve's start-up sentences (where it listens, the issuer), nothing else.
    expect(result.stderr).toBe(`latchkey: listening on ${url}, using ${cli.env.DATABASE_URL ? 'Postgres' : `the embedded store in ${cli.env.DATA_DIR}`}\nlatchkey: issuer ${url}\n`);
    const lines = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(result.stdout).not.toMatch(/destroyed|unhandled/i);
    expect(lines.map((line) => line.msg)).toContain('shutting down');
  }, 120_000); // three processes (two CLI runs, the server) through tsx on a shared machine
});
