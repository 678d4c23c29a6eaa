import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';

const KEK = 'c'.repeat(40);

interface KeyView {
  kid: string;
  alg: string;
  state: string;
  created_at: string;
  activates_at: string;
  retires_at: string | null;
  removes_at: string | null;
}

describe('latchkey keys', () => {
  let cli: CliHarness;
  const json = <T>(text: string) => JSON.parse(text) as T;
  const list = async () => {
    const result = await cli.run(['keys', 'list']);
    expect(result.status).toBe(0);
    return json<{ keys: KeyView[] }>(result.stdout).keys;
  };

  beforeAll(async () => {
    cli = await createCliHarness();
    cli.env.KEY_ENCRYPTION_KEY = KEK;
    cli.env.HOST = '127.0.0.1';
    cli.env.PORT = '0';
    cli.env.ISSUER = 'http://127.0.0.1:3000'; // PORT=0 derives no issuer
    cli.env.JWKS_CACHE_TTL = '120';
  });
  afterAll(async () => cli?.destroy());

  it('lists no keys on a fresh database', async () => {
    expect(await list()).toEqual([]);
  });

  it('rotate on an empty ring activates a first key at once', async () => {
    const result = await cli.run(['keys', 'rotate']);
    expect(result.status).toBe(0);
    const output = json<{ status: string; key: KeyView; retiring: KeyView[] }>(result.stdout);
    expect(output).toMatchObject({ status: 'activated', key: { alg: 'ES256', state: 'active', retires_at: null }, retiring: [] });
  });

  it('rotate publishes a next key; a second rotate reports it and changes nothing', async () => {
    const [first] = await list();
    const result = await cli.run(['keys', 'rotate']);
    const output = json<{ status: string; key: KeyView; retiring: KeyView[] }>(result.stdout);
    expect(output.status).toBe('scheduled');
    expect(output.key.state).toBe('next');
    const lead = Date.parse(output.key.activates_at) - Date.parse(output.key.created_at);
    expect(lead).toBeGreaterThanOrEqual(120_000);
    expect(lead).toBeLessThan(130_000);
    expect(output.retiring).toEqual([expect.objectContaining({ kid: first!.kid, state: 'active', retires_at: output.key.activates_at })]);

    const before = await list();
    const again = await cli.run(['keys', 'rotate']);
    expect(again.status).toBe(0);
    expect(json<{ status: string; key: KeyView }>(again.stdout)).toMatchObject({ status: 'already scheduled', key: { kid: output.key.kid } });
    expect(await list()).toEqual(before);
  });

  it('rotate --now makes the next key active and retires the current one', async () => {
    const [first, second] = await list();
    const result = await cli.run(['keys', 'rotate', '--now']);
    expect(result.status).toBe(0);
    const output = json<{ status: string; key: KeyView; retiring: KeyView[] }>(result.stdout);
    expect(output).toMatchObject({ status: 'rotated', key: { kid: second!.kid, state: 'active' } });
    expect(output.retiring).toEqual([expect.objectContaining({ kid: first!.kid, state: 'retired' })]);
    const keys = await list();
    expect(keys.map((key) => [key.kid, key.state])).toEqual([
      [first!.kid, 'retired'],
      [second!.kid, 'active'],
    ]);
    // Default token lifetimes are 10 minutes, tolerance 30 s: the retired key stays that long, plus slack.
    const kept = Date.parse(keys[0]!.removes_at!) - Date.parse(keys[0]!.retires_at!);
    expect(kept).toBeGreaterThanOrEqual(630_000);
    expect(kept).toBeLessThanOrEqual(640_000);
  });

  it('refuses, with exit status 1 and one clear line, a KEY_ENCRYPTION_KEY that does not open the keys', async () => {
    cli.env.KEY_ENCRYPTION_KEY = 'z'.repeat(40);
    try {
      const before = await list();
      for (const argv of [['keys', 'rotate'], ['keys', 'rotate', '--now'], ['serve']]) {
        const result = await cli.run(argv);
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/^latchkey: cannot decrypt signing keys: KEY_ENCRYPTION_KEY is not the key they were encrypted with \(key [\w-]+\)\n$/);
      }
      expect(await list()).toEqual(before);
    } finally {
      cli.env.KEY_ENCRYPTION_KEY = KEK;
    }
  });

  it('has help, and rejects unknown options with status 2', async () => {
    expect((await cli.run(['keys', '--help'])).stdout).toContain('keys rotate [--now]');
    expect((await cli.run(['keys', 'rotate', '--help'])).stdout).toContain('--now');
    expect((await cli.run(['keys', 'list', '--help'])).status).toBe(0);
    expect((await cli.run(['keys', 'rotate', '--later'])).status).toBe(2);
    expect((await cli.run(['--help'])).stdout).toContain('keys rotate [--now]');
  });
});
