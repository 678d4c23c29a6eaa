import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { clientKey } from '../helpers/client-keys.js';

describe('latchkey client create: private_key_jwt and --require-par', () => {
  let cli: CliHarness;
  let dir: string;
  beforeAll(async () => {
    cli = await createCliHarness();
    dir = await mkdtemp(join(tmpdir(), 'latchkey-jwks-'));
  });
  afterAll(async () => {
    await cli?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const create = (...args: string[]) => cli.run(['client', 'create', ...args]);
  const service = ['--name', 'Service', '--type', 'confidential', '--grant-types', 'client_credentials', '--scopes', 'orders:read', '--auth-method', 'private_key_jwt'];

  it('creates a private_key_jwt client from --jwks-file: keys stored, no secret printed', async () => {
    const key = await clientKey('ES256');
    const file = join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify({ keys: [key.publicJwk] }));
    const result = await create(...service, '--jwks-file', file);
    expect(result.status).toBe(0);
    const client = JSON.parse(result.stdout);
    expect(client).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: null, jwks: { keys: [key.publicJwk] } });
    expect(client.client_secret).toBeUndefined();
    const row = await cli.inspect(({ db }) => db.selectFrom('clients').select(['jwks', 'jwks_uri']).where('id', '=', client.client_id).executeTakeFirstOrThrow());
    expect(row.jwks).toEqual({ keys: [key.publicJwk] });
  });

  it('creates one with --jwks-uri, and a --require-par client', async () => {
    const byUri = await create(...service, '--jwks-uri', 'https://keys.example.com/jwks.json');
    expect(byUri.status).toBe(0);
    expect(JSON.parse(byUri.stdout)).toMatchObject({ jwks_uri: 'https://keys.example.com/jwks.json', jwks: null });
    const par = await create('--name', 'Web', '--type', 'confidential', '--redirect-uri', 'https://app.example.com/cb', '--require-par');
    expect(par.status).toBe(0);
    expect(JSON.parse(par.stdout)).toMatchObject({ require_pushed_authorization_requests: true });
  });

  it.each([
    ['private_key_jwt without keys', [], /needs its public keys/],
    ['both --jwks-uri and --jwks-file', ['--jwks-uri', 'https://keys.example.com/j', '--jwks-file', '__FILE__'], /not both/],
    ['an http --jwks-uri off loopback', ['--jwks-uri', 'http://keys.example.com/j'], /must use https/],
    ['a missing --jwks-file', ['--jwks-file', '/nonexistent/jwks.json'], /--jwks-file: cannot read/],
    ['a --jwks-file that is not JSON', ['--jwks-file', '__NOT_JSON__'], /is not JSON/],
    ['a --jwks-file with a private key', ['--jwks-file', '__PRIVATE__'], /private member "d"/],
  ])('refuses %s with exit 2', async (_label, args, message) => {
    const key = await clientKey('ES256');
    const files = {
      __FILE__: join(dir, 'ok.json'),
      __NOT_JSON__: join(dir, 'not.json'),
      __PRIVATE__: join(dir, 'private.json'),
    };
    await writeFile(files.__FILE__, JSON.stringify({ keys: [key.publicJwk] }));
    await writeFile(files.__NOT_JSON__, 'keys: nope');
    await writeFile(files.__PRIVATE__, JSON.stringify({ keys: [{ ...key.publicJwk, d: 'private' }] }));
    const result = await create(...service, ...args.map((arg) => files[arg as keyof typeof files] ?? arg));
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('documents the flags in --help', async () => {
    const result = await create('--help');
    for (const flag of ['private_key_jwt', '--jwks-uri', '--jwks-file', '--require-par']) expect(result.stdout).toContain(flag);
  });
});
