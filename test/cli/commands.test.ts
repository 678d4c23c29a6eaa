import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';

describe('latchkey command dispatch', () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
  });
  afterAll(async () => cli?.destroy());

  it('migrate applies every migration once, then reports none left', async () => {
    const first = await cli.run(['migrate']);
    expect(first.status).toBe(0);
    const firstOutput = JSON.parse(first.stdout);
    expect(firstOutput.status).toBe('up to date');
    expect(firstOutput.applied).toContain('0001_users_and_clients');
    const second = await cli.run(['migrate']);
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ status: 'up to date', applied: [] });
  });

  it.each([['--help'], ['help'], ['-h']])('prints the overview for %s', async (flag) => {
    const result = await cli.run([flag]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: latchkey <command>/);
    for (const command of ['serve', 'migrate', 'user create', 'client create']) expect(result.stdout).toContain(command);
  });

  it.each([['serve'], ['migrate']])('%s --help prints its usage', async (command) => {
    const result = await cli.run([command, '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: latchkey ${command}`));
  });

  it('refuses an unknown command with exit 2', async () => {
    const result = await cli.run(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^latchkey: unknown command "frobnicate"/);
  });

  it.each([
    [['serv'], 'latchkey: unknown command "serv"; did you mean "latchkey serve"?'],
    [['migrat'], 'latchkey: unknown command "migrat"; did you mean "latchkey migrate"?'],
    [['user', 'craete'], 'latchkey: unknown command "user craete"; did you mean "latchkey user create"?'],
    [['users', 'create'], 'latchkey: unknown command "users"; did you mean "latchkey user create"?'],
    [['key', 'list'], 'latchkey: unknown command "key"; did you mean "latchkey keys list"?'],
    [['keys', 'rotat'], 'latchkey: unknown command "keys rotat"; did you mean "latchkey keys rotate"?'],
    [['user', 'create', '--pasword-stdin'], "latchkey: Unknown option '--pasword-stdin' (did you mean --password-stdin?)"],
    [['user', 'create', '--password', 'x'], "latchkey: Unknown option '--password' (did you mean --password-stdin?)"],
    [['keys', 'rotate', '--nwo'], "latchkey: Unknown option '--nwo' (did you mean --now?)"],
    [['client', 'create', '--redirect-uris', 'x'], "latchkey: Unknown option '--redirect-uris' (did you mean --redirect-uri?)"],
    [['serve', '--port', '3917'], "latchkey: Unknown option '--port' (did you mean the environment variable PORT? Settings are read from the environment only)"],
    [['migrate', '--database-url', 'x'], "latchkey: Unknown option '--database-url' (did you mean the environment variable DATABASE_URL? Settings are read from the environment only)"],
    [['keys', 'rotate', '--zzz'], "latchkey: Unknown option '--zzz'"],
  ])('on %j suggests the closest command or option, exit 2', async (argv, line) => {
    const result = await cli.run(argv);
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(line);
    expect(result.stdout).toBe('');
  });

  it('a bare group prints its usage on stderr with exit 2; with --help on stdout with exit 0', async () => {
    const bare = await cli.run(['keys']);
    expect(bare).toMatchObject({ status: 2, stdout: '' });
    expect(bare.stderr).toMatch(/^Usage: latchkey keys list\n/);
    const help = await cli.run(['keys', '--help']);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: latchkey keys list\n[\s\S]*Usage: latchkey keys rotate/);
  });

  it('refuses an unknown subcommand with exit 2', async () => {
    const result = await cli.run(['user', 'delete']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^latchkey: unknown command "user delete"/);
  });

  it('stops with exit 2 and one line per bad variable on a bad configuration', async () => {
    const { runCli } = await import('../../src/cli/run.js');
    let stderr = '';
    const status = await runCli(['migrate'], {
      env: { ...cli.env, SIGNING_ALG: 'HS256' },
      out: () => undefined,
      err: (t) => void (stderr += t),
      readStdin: async () => '',
    });
    expect(status).toBe(2);
    expect(stderr).toBe('latchkey: invalid configuration:\n  SIGNING_ALG must be one of ES256, EdDSA, RS256, PS256 (got "HS256")\n');
  });
});
