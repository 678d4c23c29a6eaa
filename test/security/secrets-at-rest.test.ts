import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.js';
import type { CliIO } from '../../src/cli/io.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startServer } from '../../src/main.js';

/** Runs `latchkey ...` in-process with exactly this environment. */
async function cli(argv: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { env, out: (t) => void (stdout += t), err: (t) => void (stderr += t), readStdin: async () => '' };
  const status = await runCli(argv, io);
  return { status, stdout, stderr };
}

/** Every file and directory under `root` (root included) whose mode lets group or others in. */
async function groupOrOtherAccessible(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string) => {
    const info = await stat(path);
    if (info.mode & 0o077) found.push(`${path} ${(info.mode & 0o777).toString(8)}`);
    if (info.isDirectory()) for (const entry of await readdir(path)) await visit(join(path, entry));
  };
  await visit(root);
  return found;
}

describe('KEY_ENCRYPTION_KEY when unset (issue 10 item 11)', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'latchkey-secrets-'));
  });
  afterAll(async () => rm(scratch, { recursive: true, force: true }));

  it.each(['development', 'test', 'production'])('with Postgres, stops the CLI start with one clear line and exit 2 (NODE_ENV=%s)', async (mode) => {
    // Nothing listens on port 1: if the configuration were accepted, the command would fail later, with 1.
    const result = await cli(['migrate'], { NODE_ENV: mode, ISSUER: 'https://auth.example.com', DATABASE_URL: 'postgres://latchkey@127.0.0.1:1/latchkey', LOG_LEVEL: 'silent' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^latchkey: invalid configuration:\n {2}KEY_ENCRYPTION_KEY is required with DATABASE_URL[^\n]*\n$/);
  });

  it('on the embedded store, generates a random 32-byte key once (file 0600 in a 0700 DATA_DIR) and reuses it', async () => {
    const dataDir = join(scratch, 'one', 'data');
    const first = loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'development' });
    expect(first.keyEncryptionKeySource).toBe('generated');
    expect(first.KEY_ENCRYPTION_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.KEY_ENCRYPTION_KEY, 'base64url')).toHaveLength(32);
    const file = join(dataDir, 'key-encryption-key');
    expect((await readFile(file, 'utf8')).trim()).toBe(first.KEY_ENCRYPTION_KEY);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);

    const again = loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'development' });
    expect(again).toMatchObject({ KEY_ENCRYPTION_KEY: first.KEY_ENCRYPTION_KEY, keyEncryptionKeySource: 'data-dir' });

    // No shared constant: another data dir gets another key.
    const other = loadConfig({ DATA_DIR: join(scratch, 'two'), NODE_ENV: 'development' });
    expect(other.KEY_ENCRYPTION_KEY).not.toBe(first.KEY_ENCRYPTION_KEY);
    expect(other.keyEncryptionKeySource).toBe('generated');
  });

  it('a configured KEY_ENCRYPTION_KEY wins and writes no key file', async () => {
    const dataDir = join(scratch, 'configured');
    const config = loadConfig({ DATA_DIR: dataDir, KEY_ENCRYPTION_KEY: 'x'.repeat(40) });
    expect(config).toMatchObject({ KEY_ENCRYPTION_KEY: 'x'.repeat(40), keyEncryptionKeySource: 'environment' });
    await expect(stat(join(dataDir, 'key-encryption-key'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a damaged key file with one line (never silently replaces it)', async () => {
    const dataDir = join(scratch, 'damaged');
    loadConfig({ DATA_DIR: dataDir });
    await writeFile(join(dataDir, 'key-encryption-key'), 'not a key\n');
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(/^KEY_ENCRYPTION_KEY is not set and the key file in DATA_DIR cannot be used: .*key-encryption-key does not hold a key/);
    expect((await readFile(join(dataDir, 'key-encryption-key'), 'utf8'))).toBe('not a key\n');
  });
});

describe('the embedded DATA_DIR is private (issue 10 item 12), and the CLI and server share its key', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'latchkey-datadir-'));
    process.umask(0o022); // a typical login shell's umask: Latchkey must not rely on a stricter one
  });
  afterAll(async () => rm(scratch, { recursive: true, force: true }));

  it('after the CLI creates the store and a server starts on it, no file or directory is group/other accessible', { timeout: 180_000 }, async () => {
    const dataDir = join(scratch, 'fresh', '.data');
    const env = { DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'silent' };

    // The CLI creates the store, generates the key and seals the first signing key with it.
    const rotate = await cli(['keys', 'rotate'], env);
    expect(rotate.status).toBe(0);
    expect(rotate.stderr).toMatch(/generated one in DATA_DIR\/key-encryption-key; back it up together with DATA_DIR/);
    expect(JSON.parse(rotate.stdout)).toMatchObject({ status: 'activated' });

    // The server, also without KEY_ENCRYPTION_KEY, opens those keys: same key, read from DATA_DIR.
    const config = loadConfig({ ...env, HOST: '127.0.0.1', PORT: '0', ISSUER: 'http://127.0.0.1:3000' });
    expect(config.keyEncryptionKeySource).toBe('data-dir');
    const server = await startServer(config);
    try {
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
      expect(jwks.keys.length).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
    const second = await cli(['keys', 'list'], env);
    expect(second.status).toBe(0);
    expect(second.stderr).toBe(''); // the "generated" notice is said once only

    expect(await groupOrOtherAccessible(dataDir)).toEqual([]);

    // The key file lost, the store kept: no new key is made (it could never open the store).
    await rm(join(dataDir, 'key-encryption-key'));
    expect(() => loadConfig(env)).toThrow(/DATA_DIR holds a database but no key-encryption-key: restore that file/);
    await expect(stat(join(dataDir, 'key-encryption-key'))).rejects.toThrow(/ENOENT/);
  });
});
