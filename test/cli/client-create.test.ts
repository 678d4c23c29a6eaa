import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { sha256Hex } from '../../src/clients/secret.js';

describe('latchkey client create', () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
  });
  afterAll(async () => cli?.destroy());

  const create = (...args: string[]) => cli.run(['client', 'create', ...args]);

  it('creates a confidential client whose secret is shown once and stored only as a SHA-256 hash', async () => {
    const result = await create('--name', 'Web', '--type', 'confidential', '--redirect-uri', 'https://app.example.com/callback', '--redirect-uri', 'http://localhost:8080/cb');
    // No --audience: its API tokens would carry aud = issuer, so the CLI warns (issue 10 item 13).
    expect(result.stderr).toMatch(/^latchkey: warning: .*no audience/);
    expect(result.status).toBe(0);
    const client = JSON.parse(result.stdout);
    expect(client).toMatchObject({
      name: 'Web',
      type: 'confidential',
      redirect_uris: ['https://app.example.com/callback', 'http://localhost:8080/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      refresh_cookie: false,
      third_party: false,
      admin: false,
    });
    expect(client.client_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(client.client_secret).toMatch(/^lk_cs_[A-Za-z0-9_-]{43}$/);

    const row = await cli.inspect(({ db }) => db.selectFrom('clients').selectAll().where('id', '=', client.client_id).executeTakeFirstOrThrow());
    expect(row.secret_hash).toBe(sha256Hex(client.client_secret));
    expect(row.secret_hash).not.toContain(client.client_secret);
    expect(JSON.stringify(row)).not.toContain(client.client_secret);
  });

  it('creates a public SPA client with refresh-cookie delivery, origins and no secret', async () => {
    const result = await create(
      '--name', 'SPA', '--type', 'public', '--redirect-uri', 'https://app.example.com/cb',
      '--origin', 'https://app.example.com', '--refresh-cookie', '--scopes', 'openid profile offline_access',
      '--post-logout-redirect-uri', 'https://app.example.com/bye', '--third-party',
    );
    expect(result.status).toBe(0);
    const client = JSON.parse(result.stdout);
    expect(client.client_secret).toBeUndefined();
    expect(client).toMatchObject({
      type: 'public',
      origins: ['https://app.example.com'],
      refresh_cookie: true,
      third_party: true,
      scopes: ['openid', 'profile', 'offline_access'],
      post_logout_redirect_uris: ['https://app.example.com/bye'],
    });
    const row = await cli.inspect(({ db }) => db.selectFrom('clients').selectAll().where('id', '=', client.client_id).executeTakeFirstOrThrow());
    expect(row.secret_hash).toBeNull();
  });

  it('creates an admin client: confidential, client_credentials, scope admin', async () => {
    const result = await create('--name', 'ops', '--admin');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ type: 'confidential', grant_types: ['client_credentials'], scopes: ['admin'], admin: true });
  });

  it('creates a client that must send DPoP proofs (--require-dpop, RFC 9449 5.2 dpop_bound_access_tokens)', async () => {
    const result = await create('--name', 'bound', '--admin', '--require-dpop');
    expect(result.status).toBe(0);
    const client = JSON.parse(result.stdout);
    expect(client.dpop_bound_access_tokens).toBe(true);
    const row = await cli.inspect(({ db }) => db.selectFrom('clients').select('dpop_bound_access_tokens').where('id', '=', client.client_id).executeTakeFirstOrThrow());
    expect(row.dpop_bound_access_tokens).toBe(true);
    expect(JSON.parse((await create('--name', 'plain', '--admin')).stdout).dpop_bound_access_tokens).toBe(false);
  });

  it('accepts a native app private-use scheme and explicit grant types', async () => {
    const result = await create('--name', 'App', '--type', 'public', '--redirect-uri', 'com.example.app:/oauth/cb', '--grant-types', 'authorization_code');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).grant_types).toEqual(['authorization_code']);
  });

  it.each([
    ['a missing name', ['--type', 'public'], /--name is required/],
    ['a missing type', ['--name', 'x'], /--type is required/],
    ['an unknown type', ['--name', 'x', '--type', 'secret'], /type must be confidential or public/],
    ['a relative redirect URI', ['--name', 'x', '--type', 'public', '--redirect-uri', '/cb'], /redirect URI "\/cb" must be an absolute URL/],
    ['a redirect URI with a fragment', ['--name', 'x', '--type', 'public', '--redirect-uri', 'https://a.example/cb#x'], /must not contain a fragment/],
    ['an empty fragment', ['--name', 'x', '--type', 'public', '--redirect-uri', 'https://a.example/cb#'], /must not contain a fragment/],
    ['plain http off loopback', ['--name', 'x', '--type', 'public', '--redirect-uri', 'http://app.example.com/cb'], /http only for localhost/],
    ['a javascript: URI', ['--name', 'x', '--type', 'public', '--redirect-uri', 'javascript:alert(1)'], /must use https/],
    ['a data: URI', ['--name', 'x', '--type', 'public', '--redirect-uri', 'data:text/html,hi'], /must use https/],
    ['credentials in the URI', ['--name', 'x', '--type', 'public', '--redirect-uri', 'https://user:pw@a.example/cb'], /must not contain credentials/],
    ['an unknown grant type', ['--name', 'x', '--type', 'confidential', '--redirect-uri', 'https://a.example/cb', '--grant-types', 'authorization_code,password'], /unknown grant type "password"/],
    ['the implicit grant', ['--name', 'x', '--type', 'public', '--redirect-uri', 'https://a.example/cb', '--grant-types', 'implicit'], /unknown grant type "implicit"/],
    ['authorization_code without a redirect URI', ['--name', 'x', '--type', 'confidential'], /needs at least one redirect URI/],
    ['client_credentials on a public client', ['--name', 'x', '--type', 'public', '--grant-types', 'client_credentials'], /public client cannot use client_credentials/],
    ['a refresh cookie on a confidential client', ['--name', 'x', '--type', 'confidential', '--redirect-uri', 'https://a.example/cb', '--refresh-cookie', '--origin', 'https://a.example'], /refresh-cookie delivery is for public/],
    ['a refresh cookie without an origin', ['--name', 'x', '--type', 'public', '--redirect-uri', 'https://a.example/cb', '--refresh-cookie'], /needs at least one allowed origin/],
    ['an origin with a path', ['--name', 'x', '--type', 'public', '--redirect-uri', 'https://a.example/cb', '--origin', 'https://a.example/app'], /must be exactly an origin/],
    ['an http origin off loopback', ['--name', 'x', '--type', 'public', '--redirect-uri', 'https://a.example/cb', '--origin', 'http://a.example'], /must use https/],
    ['a scope with a quote', ['--name', 'x', '--type', 'public', '--redirect-uri', 'https://a.example/cb', '--scopes', 'openid "evil'], /each scope must be printable ASCII/],
    ['a public admin client', ['--name', 'x', '--type', 'public', '--admin'], /admin client must be confidential/],
    ['an unknown option', ['--name', 'x', '--type', 'public', '--wildcard'], /Unknown option '--wildcard'/],
    ['a positional argument', ['--name', 'x', 'extra'], /Unexpected argument 'extra'/],
  ])('refuses %s with exit 2', async (_label, args, message) => {
    const result = await create(...args);
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('stored nothing for the refused inputs', async () => {
    const names = await cli.inspect(async ({ db }) => (await db.selectFrom('clients').select('name').execute()).map((c) => c.name).sort());
    expect(names).toEqual(['App', 'SPA', 'Web', 'bound', 'ops', 'plain']);
  });

  it('prints help with --help', async () => {
    const result = await create('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: latchkey client create --name N --type confidential\|public/);
    for (const flag of ['--redirect-uri', '--grant-types', '--scopes', '--post-logout-redirect-uri', '--refresh-cookie', '--origin', '--third-party', '--admin']) {
      expect(result.stdout).toContain(flag);
    }
  });
});
