import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

// README "Container": the compose deployment's key is made once into .env and never replaced.
const SCRIPT = resolve(import.meta.dirname, '../../scripts/init-compose-env.sh');
const run = promisify(execFile);
const directory = mkdtempSync(join(tmpdir(), 'latchkey-compose-env-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function initEnv(target: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(SCRIPT, [target]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('scripts/init-compose-env.sh', () => {
  it('writes a 0600 .env with a 32-byte KEY_ENCRYPTION_KEY that production accepts and a fresh POSTGRES_PASSWORD', async () => {
    const first = join(directory, 'first.env');
    const second = join(directory, 'second.env');
    expect(await initEnv(first)).toMatchObject({ code: 0 });
    expect(await initEnv(second)).toMatchObject({ code: 0 });
    expect(statSync(first).mode & 0o777).toBe(0o600);

    const a = parseEnv(readFileSync(first, 'utf8'));
    const b = parseEnv(readFileSync(second, 'utf8'));
    expect(Object.keys(a).sort()).toEqual(['KEY_ENCRYPTION_KEY', 'POSTGRES_PASSWORD']);
    expect(Buffer.from(a.KEY_ENCRYPTION_KEY!, 'base64')).toHaveLength(32);
    // Hex only: it goes into DATABASE_URL unescaped.
    expect(a.POSTGRES_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
    expect(a.KEY_ENCRYPTION_KEY).not.toBe(b.KEY_ENCRYPTION_KEY);
    expect(a.POSTGRES_PASSWORD).not.toBe(b.POSTGRES_PASSWORD);

    const config = loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example.com', DATABASE_URL: 'postgres://latchkey@127.0.0.1/latchkey', KEY_ENCRYPTION_KEY: a.KEY_ENCRYPTION_KEY });
    expect(config.KEY_ENCRYPTION_KEY).toBe(a.KEY_ENCRYPTION_KEY);
  });

  it('refuses to overwrite an existing .env and leaves it byte for byte as it was', async () => {
    const target = join(directory, 'existing.env');
    writeFileSync(target, 'KEY_ENCRYPTION_KEY=the-key-that-encrypts-the-stored-signing-keys\n', { mode: 0o600 });
    const result = await initEnv(target);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('already exists: not overwritten');
    expect(readFileSync(target, 'utf8')).toBe('KEY_ENCRYPTION_KEY=the-key-that-encrypts-the-stored-signing-keys\n');
  });

  it('refuses an existing empty file too, and leaves no temporary file behind', async () => {
    const target = join(directory, 'empty.env');
    writeFileSync(target, '');
    expect((await initEnv(target)).code).toBe(1);
    expect(readFileSync(target, 'utf8')).toBe('');
    const { stdout } = await run('ls', [directory]);
    expect(stdout).not.toContain('.tmp.');
  });
});

describe('the container files', () => {
  const root = resolve(import.meta.dirname, '../..');
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

  it('the Dockerfile builds without BuildKit front-ends or anonymous volumes, compiles argon2 and pins npm', () => {
    expect(dockerfile).not.toMatch(/^# syntax=/m);
    expect(dockerfile).not.toMatch(/^VOLUME/m);
    expect(dockerfile).toContain('npm_config_build_from_source=true');
    expect(dockerfile).toMatch(/npm install -g [^\n]*npm@\d+\.\d+\.\d+\n/);
    expect(dockerfile.match(/^FROM node:(\d+)-/gm)).toEqual(['FROM node:26-', 'FROM node:26-']);
  });

  it('compose reads the key from .env, checks Postgres over TCP and publishes on loopback', () => {
    expect(compose).not.toContain('openssl rand');
    expect(compose).toContain('KEY_ENCRYPTION_KEY: ${KEY_ENCRYPTION_KEY:?run scripts/init-compose-env.sh');
    expect(compose).toContain('pg_isready -h 127.0.0.1');
    expect(compose).toContain('${LATCHKEY_PUBLISH:-127.0.0.1:3000}:3000');
  });
});
