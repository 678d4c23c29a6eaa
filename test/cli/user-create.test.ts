import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import argon2 from 'argon2';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';

describe('latchkey user create', () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
  });
  afterAll(async () => cli?.destroy());

  it('creates a user from a password on stdin and prints JSON with its id', async () => {
    const result = await cli.run(['user', 'create', '--username', 'Alice', '--email', 'alice@example.com', '--name', 'Alice A', '--password-stdin'], 'correct horse battery\n');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const user = JSON.parse(result.stdout);
    expect(user).toMatchObject({ username: 'Alice', email: 'alice@example.com', name: 'Alice A' });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.stdout).not.toContain('correct horse');

    const row = await cli.inspect(({ db }) => db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow());
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(row.password_hash).not.toContain('correct horse');
    // the trailing newline from `echo` is not part of the password
    expect(await argon2.verify(row.password_hash, 'correct horse battery')).toBe(true);
    expect(await argon2.verify(row.password_hash, 'correct horse battery\n')).toBe(false);
  });

  it('creates a user without email or name', async () => {
    const result = await cli.run(['user', 'create', '--username', 'bob', '--password-stdin'], 'bob password');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ username: 'bob', email: null, name: null });
  });

  it.each([
    ['a duplicate username', ['--username', 'alice'], 'long enough', /a user with that username already exists/],
    ['a duplicate username in other case', ['--username', 'BOB'], 'long enough', /a user with that username already exists/],
    ['a duplicate email in other case', ['--username', 'carol', '--email', 'ALICE@example.com'], 'long enough', /a user with that email already exists/],
    ['an empty password', ['--username', 'dave'], '', /password must not be empty/],
    ['a password of only a newline', ['--username', 'dave'], '\n', /password must not be empty/],
    ['a blank password', ['--username', 'dave'], '   ', /password must not be only white space/],
    ['an oversized password', ['--username', 'dave'], 'x'.repeat(1025), /password must be at most 1024 characters/],
    ['a password of 7 characters', ['--username', 'dave'], '1234567\n', /^latchkey: password must be at least 8 characters\n$/],
    ['a bad email', ['--username', 'dave', '--email', 'not-an-email'], 'long enough', /email must be a valid email address/],
    ['a username with spaces', ['--username', 'da ve'], 'long enough', /username must be 1-64 characters/],
    ['an empty username', ['--username', ''], 'long enough', /username must be 1-64 characters/],
    ['a username with markup', ['--username', '<script>'], 'long enough', /username must be 1-64 characters/],
  ])('refuses %s with exit 2 and a clear message', async (_label, args, stdin, message) => {
    const result = await cli.run(['user', 'create', ...args, '--password-stdin'], stdin);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^latchkey: /);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stdout).toBe('');
  });

  it('requires --password-stdin rather than a password argument', async () => {
    const result = await cli.run(['user', 'create', '--username', 'erin']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--password-stdin is required/);
    const withArg = await cli.run(['user', 'create', '--username', 'erin', '--password', 'x']);
    expect(withArg.status).toBe(2);
    expect(withArg.stderr).toMatch(/Unknown option '--password'/);
  });

  it('requires --username', async () => {
    const result = await cli.run(['user', 'create', '--password-stdin'], 'pw');
    expect(result).toMatchObject({ status: 2, stderr: 'latchkey: --username is required\n' });
  });

  it('leaves no user behind for a refused input', async () => {
    const count = await cli.inspect(async ({ db }) => (await db.selectFrom('users').select('username').execute()).map((u) => u.username).sort());
    expect(count).toEqual(['Alice', 'bob']);
  });

  it('prints help with --help and exits 0', async () => {
    const result = await cli.run(['user', 'create', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: latchkey user create --username U/);
    expect(result.stdout).toContain('--password-stdin');
  });

  it('takes the minimum from PASSWORD_MIN_LENGTH', async () => {
    cli.env.PASSWORD_MIN_LENGTH = '12';
    try {
      const short = await cli.run(['user', 'create', '--username', 'frank', '--password-stdin'], 'eleven char');
      expect(short).toMatchObject({ status: 2, stderr: 'latchkey: password must be at least 12 characters\n', stdout: '' });
      const enough = await cli.run(['user', 'create', '--username', 'frank', '--password-stdin'], 'twelve chars');
      expect(enough.status).toBe(0);
    } finally {
      delete cli.env.PASSWORD_MIN_LENGTH;
    }
  });
});
