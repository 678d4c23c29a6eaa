import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../helpers/config.js';
import { freePort } from '../helpers/ports.js';
import { collect, runLatchkey, spawnLatchkey, waitForHttp } from '../helpers/process.js';
import { waitUntil } from '../helpers/wait-until.js';

/** Issue 15 items 4-6: what `latchkey` says to the person running it, checked on the real executable. */

const BASE_ENV = { NODE_ENV: 'test', LOG_LEVEL: 'silent', KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY };

/** A child's output so far, while it runs. */
function watch(child: ChildProcess) {
  const seen = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d) => (seen.stdout += d));
  child.stderr?.on('data', (d) => (seen.stderr += d));
  return seen;
}

/** A TCP listener that counts connections and does `onConnection` with each. */
async function tcpListener(port: number, onConnection: (socket: Socket) => void): Promise<{ server: Server; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    server,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// Each test starts node + tsx at least once: allow for a busy machine.
describe('the command line', { timeout: 120_000 }, () => {
  it('a bare latchkey prints the usage on stderr and exits 2 (it starts no server)', async () => {
    const result = await runLatchkey([], BASE_ENV);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Usage: latchkey <command> \[options\]\n/);
    expect(result.stderr).toContain('serve ');
    expect(result.stderr).toContain('npm run --silent latchkey -- <command>');
  });

  // The full list of suggestions is checked in-process (test/cli/commands.test.ts); these go through the executable.
  it.each([
    [['serv'], 'latchkey: unknown command "serv"; did you mean "latchkey serve"?'],
    [['user', 'create', '--pasword-stdin'], "latchkey: Unknown option '--pasword-stdin' (did you mean --password-stdin?)"],
    [['serve', '--port', '3917'], "latchkey: Unknown option '--port' (did you mean the environment variable PORT? Settings are read from the environment only)"],
  ])('suggests what %j probably meant, exit 2', async (argv, line) => {
    const result = await runLatchkey(argv, BASE_ENV);
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(line);
    expect(result.stdout).toBe('');
  });

  it('suggests nothing for a word that is like no command, and lists the commands instead', async () => {
    const result = await runLatchkey(['frobnicate'], BASE_ENV);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^latchkey: unknown command "frobnicate"\n\nUsage: latchkey <command>/);
  });
});

describe('database connection failures', { timeout: 120_000 }, () => {
  it.each([['migrate'], ['serve'], ['user', 'create', '--username', 'x', '--password-stdin']])(
    'latchkey %s on a refused DATABASE_URL: one line naming host:port and the reason, never the password; exit 1',
    async (...argv) => {
      const port = await freePort(); // nothing listens there
      const result = await runLatchkey(argv, { ...BASE_ENV, DATABASE_URL: `postgres://latchkey:hunter2-secret@127.0.0.1:${port}/latchkey`, PORT: '0', ISSUER: 'http://127.0.0.1:1' }, 'long enough');
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`latchkey: cannot connect to the database at 127.0.0.1:${port} (connection refused: is Postgres running and listening on that address?)\n`);
      expect(result.stdout + result.stderr).not.toContain('hunter2');
      expect(result.stderr).not.toMatch(/migration/);
    },
  );

  it('a database that accepts the connection but never answers: the DB_TIMEOUT is named', async () => {
    const port = await freePort();
    const silent = await tcpListener(port, () => undefined);
    try {
      const result = await runLatchkey(['migrate'], { ...BASE_ENV, DB_TIMEOUT: '1s', DATABASE_URL: `postgres://latchkey:hunter2-secret@127.0.0.1:${port}/latchkey` });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`latchkey: cannot connect to the database at 127.0.0.1:${port} (no answer within DB_TIMEOUT = 1 s)\n`);
      expect(silent.connections()).toBeGreaterThan(0);
    } finally {
      await silent.close();
    }
  });
});

describe('latchkey serve says, once and readably, what it does', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'latchkey-messages-'));
  });
  afterAll(async () => rm(scratch, { recursive: true, force: true }));

  it('first start: the store being created and where; then where it listens and the issuer derived from HOST and PORT', { timeout: 240_000 }, async () => {
    const dataDir = join(scratch, 'data');
    const port = await freePort();
    // The issue's case: PORT set, ISSUER not. No KEY_ENCRYPTION_KEY: a first start generates it too.
    const env = { NODE_ENV: 'development', LOG_LEVEL: 'info', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port) };
    const first = spawnLatchkey(['serve'], env);
    const firstDone = collect(first);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 180_000);
      const discovery = (await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).toBe(`http://127.0.0.1:${port}`);
    } finally {
      first.kill('SIGTERM');
    }
    const started = await firstDone;
    expect(started.status).toBe(0);
    expect(started.stderr).toBe(
      [
        'latchkey: KEY_ENCRYPTION_KEY is not set: generated one in DATA_DIR/key-encryption-key; back it up together with DATA_DIR (the signing keys cannot be opened without it)',
        `latchkey: creating the embedded store in ${dataDir} (first start; this takes a few seconds)`,
        `latchkey: listening on http://127.0.0.1:${port}, using the embedded store in ${dataDir}`,
        `latchkey: issuer http://127.0.0.1:${port} (ISSUER is unset, so it is derived from HOST and PORT; set ISSUER to the URL clients reach Latchkey at if it differs)`,
        '',
      ].join('\n'),
    );
    // The JSON log on stdout has the same facts, as fields.
    const log = started.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(log).toContainEqual(expect.objectContaining({ msg: 'created the embedded store', dataDir }));
    expect(log).toContainEqual(expect.objectContaining({ issuer: `http://127.0.0.1:${port}`, issuerSource: 'derived' }));

    // A later start on the same store: no creation, no generated key; the issuer as set.
    const issuer = 'http://localhost:8443';
    const second = spawnLatchkey(['serve'], { ...env, ISSUER: issuer, LOG_LEVEL: 'silent' });
    const secondDone = collect(second);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
    } finally {
      second.kill('SIGTERM');
    }
    const again = await secondDone;
    expect(again.status).toBe(0);
    expect(again.stderr).toBe(`latchkey: listening on http://127.0.0.1:${port}, using the embedded store in ${dataDir}\nlatchkey: issuer ${issuer}\n`);
  });
});

describe('an unreachable REDIS_URL', () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
    expect((await cli.run(['migrate'])).status).toBe(0);
  });
  afterAll(async () => cli?.destroy());

  it('logs one line however often the client retries, and one line when Redis is back', { timeout: 240_000 }, async () => {
    const redisPort = await freePort();
    // Something that hangs up on every connection: Redis is "down" and the client keeps retrying.
    const hangsUp = await tcpListener(redisPort, (socket) => socket.destroy());
    const port = await freePort();
    const server = spawnLatchkey(['serve'], { ...cli.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, REDIS_URL: `redis://:redis-secret@127.0.0.1:${redisPort}` });
    const seen = watch(server);
    let redis: ChildProcess | undefined;
    const outageLines = () => seen.stdout.split('\n').filter((line) => line.includes('rate-limit store (Redis)'));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000);
      await waitUntil(() => hangsUp.connections() >= 8, { timeoutMs: 30_000, what: 'eight connection attempts' });
      expect(outageLines()).toHaveLength(1);
      const line = JSON.parse(outageLines()[0]!) as { level: number; msg: string };
      expect(line.level).toBe(40);
      expect(line.msg).toMatch(new RegExp(`^rate-limit store \\(Redis\\) at 127\\.0\\.0\\.1:${redisPort} unavailable \\(.+\\); rate limits are not enforced until it is back$`));
      // The login endpoint still answers meanwhile (fails open).
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

      await hangsUp.close();
      redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 'redis-secret'], { stdio: 'ignore' });
      await waitUntil(() => outageLines().length >= 2, { timeoutMs: 30_000, what: 'the recovery line' });
      const recovered = JSON.parse(outageLines()[1]!) as { level: number; msg: string };
      expect(recovered.msg).toMatch(new RegExp(`^rate-limit store \\(Redis\\) at 127\\.0\\.0\\.1:${redisPort} reachable again after \\d+ s$`));
      expect(seen.stdout + seen.stderr).not.toContain('redis-secret');
    } finally {
      server.kill('SIGTERM');
      await hangsUp.close().catch(() => undefined);
    }
    const result = await collect(server);
    redis?.kill('SIGTERM');
    expect(result.signal ?? result.status).not.toBe(null);
  });
});
