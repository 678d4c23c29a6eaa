import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig, parseDuration } from '../src/config.js';
import { defaultPasswordQueueSize } from '../src/users/password.js';

const STRONG_KEY = 'k'.repeat(40);

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has working development defaults (given a key, so that no key file is written here)', () => {
    const config = loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY });
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      ISSUER: 'http://localhost:3000',
      issuerSource: 'derived',
      PORT: 3000,
      PASSWORD_MIN_LENGTH: 8,
      DATA_DIR: './.data',
      SIGNING_ALG: 'ES256',
      ACCESS_TOKEN_TTL: 600,
      ID_TOKEN_TTL: 600,
      REFRESH_IDLE_TTL: 14 * 86400,
      REFRESH_ABSOLUTE_TTL: 30 * 86400,
      REFRESH_REUSE_GRACE: 10,
      KEY_ROTATION_INTERVAL: 30 * 86400,
      CLOCK_TOLERANCE: 30,
      LOG_LEVEL: 'info',
      TRUST_PROXY: false,
      RATE_LIMIT_AUTHORIZE: 120,
      keyEncryptionKeySource: 'environment',
      KEY_ENCRYPTION_KEY: STRONG_KEY,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
  });

  it.each([
    ['600', 600],
    ['30s', 30],
    ['10m', 600],
    ['12h', 43200],
    ['14d', 1209600],
    [' 5m ', 300],
  ])('parses the duration %j as %d seconds', (raw, seconds) => {
    expect(parseDuration(raw)).toBe(seconds);
  });

  it.each(['', 'abc', '10x', '-5', '1.5m', '10 minutes', 'm'])('refuses the duration %j', (raw) => {
    expect(parseDuration(raw)).toBeUndefined();
  });

  describe('ISSUER unset', () => {
    it.each([
      [{ PORT: '3917' }, 'http://localhost:3917'],
      [{ HOST: '127.0.0.1', PORT: '3917' }, 'http://127.0.0.1:3917'],
      [{ HOST: '0.0.0.0', PORT: '8080' }, 'http://localhost:8080'],
      [{ HOST: '::', PORT: '8080' }, 'http://localhost:8080'],
      [{ HOST: '::1', PORT: '8080' }, 'http://[::1]:8080'],
      [{ HOST: 'devbox.lan', PORT: '80' }, 'http://devbox.lan:80'],
    ])('outside production, is derived from HOST and PORT (%j -> %s)', (env, issuer) => {
      for (const mode of ['development', 'test']) {
        expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY, NODE_ENV: mode, ...env })).toMatchObject({ ISSUER: issuer, issuerSource: 'derived' });
      }
    });

    it('is what it says when set', () => {
      expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY, PORT: '3917', ISSUER: 'https://login.example.com' })).toMatchObject({ ISSUER: 'https://login.example.com', issuerSource: 'environment' });
    });

    it('is required in production, alongside any other problem', () => {
      expect(configError({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY: STRONG_KEY, PORT: '3917' })).toBe(
        'ISSUER is required when NODE_ENV=production: set the public https URL clients reach Latchkey at (e.g. https://login.example.com)',
      );
      expect(configError({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/latchkey' }).split('\n')).toEqual([
        expect.stringMatching(/^ISSUER is required when NODE_ENV=production/),
        expect.stringMatching(/^KEY_ENCRYPTION_KEY is required with DATABASE_URL/),
      ]);
    });

    it('cannot be derived for PORT=0 (the port is known only once listening)', () => {
      expect(configError({ KEY_ENCRYPTION_KEY: STRONG_KEY, PORT: '0' })).toBe(
        'ISSUER is required with PORT=0: the port, and so the URL clients reach Latchkey at, is known only once listening',
      );
    });
  });

  it('strips a trailing slash from the issuer', () => {
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY, ISSUER: 'https://auth.example.com/' }).ISSUER).toBe('https://auth.example.com');
  });

  it.each([
    ['NODE_ENV', 'staging', /^NODE_ENV must be one of development, production, test \(got "staging"\)$/],
    ['ISSUER', 'auth.example.com', /^ISSUER must be an absolute http or https URL/],
    ['ISSUER', 'ftp://auth.example.com', /^ISSUER must be an absolute http or https URL/],
    ['ISSUER', 'https://auth.example.com/?a=1', /^ISSUER must not have a query or fragment$/],
    ['PORT', '70000', /^PORT must be a whole number from 0 to 65535 \(got "70000"\)$/],
    ['PORT', 'http', /^PORT must be a whole number from 0 to 65535/],
    ['TRUST_PROXY', 'yes', /^TRUST_PROXY must be false, a hop count \(e.g. 1\) or a comma-separated list of IP addresses\/CIDRs/],
    ['TRUST_PROXY', 'true', /^TRUST_PROXY must not be true \(that trusts every hop, so any client could forge its IP address\): give the number of proxies/],
    ['TRUST_PROXY', '10.0.0.0/33', /^TRUST_PROXY must be false, a hop count/],
    ['TRUST_PROXY', '10.0.0.1,proxy.example', /^TRUST_PROXY must be false, a hop count/],
    ['RATE_LIMIT_AUTHORIZE', 'lots', /^RATE_LIMIT_AUTHORIZE must be a whole number from 0/],
    ['DATABASE_URL', 'mysql://localhost/db', /^DATABASE_URL must be an absolute postgres or postgresql URL$/],
    ['DB_POOL_MAX', '0', /^DB_POOL_MAX must be a whole number from 1 to 1000/],
    ['DB_TIMEOUT', 'soon', /^DB_TIMEOUT must be a duration/],
    ['KEY_ENCRYPTION_KEY', 'short', /^KEY_ENCRYPTION_KEY must be at least 32 characters/],
    ['SIGNING_ALG', 'HS256', /^SIGNING_ALG must be one of ES256, EdDSA, RS256, PS256 \(got "HS256"\)$/],
    ['SIGNING_ALG', 'none', /^SIGNING_ALG must be one of ES256, EdDSA, RS256, PS256/],
    ['ACCESS_TOKEN_TTL', '10 minutes', /^ACCESS_TOKEN_TTL must be a duration: whole seconds or a number with s, m, h or d/],
    ['ACCESS_TOKEN_TTL', '0', /^ACCESS_TOKEN_TTL must be a duration.*at least 1s/],
    ['ID_TOKEN_TTL', '-1', /^ID_TOKEN_TTL must be a duration/],
    ['REFRESH_IDLE_TTL', 'forever', /^REFRESH_IDLE_TTL must be a duration/],
    ['REFRESH_ABSOLUTE_TTL', '1y', /^REFRESH_ABSOLUTE_TTL must be a duration/],
    ['REFRESH_REUSE_GRACE', 'ten', /^REFRESH_REUSE_GRACE must be a duration/],
    ['SESSION_IDLE_TTL', '5', /^SESSION_IDLE_TTL must be a duration.*at least 60s/],
    ['SESSION_ABSOLUTE_TTL', 'day', /^SESSION_ABSOLUTE_TTL must be a duration/],
    ['KEY_ROTATION_INTERVAL', '30', /^KEY_ROTATION_INTERVAL must be a duration.*at least 60s/],
    ['JWKS_CACHE_TTL', 'x', /^JWKS_CACHE_TTL must be a duration/],
    ['CLOCK_TOLERANCE', '30sec', /^CLOCK_TOLERANCE must be a duration/],
    ['RATE_LIMIT_LOGIN', '-1', /^RATE_LIMIT_LOGIN must be a whole number from 0/],
    ['RATE_LIMIT_TOKEN', 'lots', /^RATE_LIMIT_TOKEN must be a whole number from 0/],
    ['RATE_LIMIT_ADMIN', 'many', /^RATE_LIMIT_ADMIN must be a whole number from 0/],
    ['CLIENT_SECRET_OVERLAP', '1w', /^CLIENT_SECRET_OVERLAP must be a duration/],
    ['LOGIN_LOCKOUT_THRESHOLD', '1.5', /^LOGIN_LOCKOUT_THRESHOLD must be a whole number/],
    ['LOGIN_LOCKOUT_DURATION', '0', /^LOGIN_LOCKOUT_DURATION must be a duration/],
    ['PASSWORD_HASH_CONCURRENCY', '0', /^PASSWORD_HASH_CONCURRENCY must be a whole number from 1 to 1024 \(got "0"\)$/],
    ['PASSWORD_HASH_CONCURRENCY', 'cores', /^PASSWORD_HASH_CONCURRENCY must be a whole number from 1 to 1024/],
    ['PASSWORD_HASH_QUEUE_SIZE', '-1', /^PASSWORD_HASH_QUEUE_SIZE must be a whole number from 0 to 100000/],
    ['PASSWORD_HASH_QUEUE_SIZE', 'lots', /^PASSWORD_HASH_QUEUE_SIZE must be a whole number from 0 to 100000/],
    ['PASSWORD_HASH_NICE', '20', /^PASSWORD_HASH_NICE must be a whole number from 0 to 19/],
    ['REDIS_URL', 'localhost:6379', /^REDIS_URL must be an absolute redis or rediss URL$/],
    ['LOG_LEVEL', 'verbose', /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
  ])('names %s when it is %j', (name, value, expected) => {
    const message = configError({ [name]: value });
    expect(message).toMatch(expected);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).not.toMatch(/ZodError|"code"|\{/);
  });

  it('never echoes secret-bearing values in its messages', () => {
    expect(configError({ KEY_ENCRYPTION_KEY: 'hunter2' })).not.toContain('hunter2');
    expect(configError({ DATABASE_URL: 'mysql://user:pw@host/db' })).not.toContain('pw@');
  });

  it('reports every bad variable, one line each', () => {
    const lines = configError({ PORT: 'x', SIGNING_ALG: 'HS256' }).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^PORT /);
    expect(lines[1]).toMatch(/^SIGNING_ALG /);
  });

  it('refuses an idle refresh lifetime longer than the absolute one', () => {
    expect(configError({ REFRESH_IDLE_TTL: '40d' })).toBe('REFRESH_IDLE_TTL must not be longer than REFRESH_ABSOLUTE_TTL');
  });

  describe('production mode', () => {
    it('refuses a non-https issuer under a *.localhost name (not loopback)', () => {
      expect(configError({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY: STRONG_KEY, ISSUER: 'http://x.localhost:3000' })).toMatch(
        /^ISSUER must be an https URL when NODE_ENV=production/,
      );
    });

    it('refuses a non-https issuer other than localhost', () => {
      expect(configError({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY: STRONG_KEY, ISSUER: 'http://auth.example.com' })).toMatch(
        /^ISSUER must be an https URL when NODE_ENV=production/,
      );
    });

    it.each(['http://localhost:3000', 'http://127.0.0.1:8080', 'https://auth.example.com'])('accepts the issuer %s', (issuer) => {
      const config = loadConfig({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY: STRONG_KEY, ISSUER: issuer });
      expect(config.keyEncryptionKeySource).toBe('environment');
      expect(config.KEY_ENCRYPTION_KEY).toBe(STRONG_KEY);
    });

    it('refuses the embedded store without KEY_ENCRYPTION_KEY and creates no key file', () => {
      const dataDir = join(mkdtempSync(join(tmpdir(), 'latchkey-config-')), 'data');
      expect(configError({ NODE_ENV: 'production', ISSUER: 'https://auth.example.com', DATA_DIR: dataDir })).toMatch(/^KEY_ENCRYPTION_KEY is required when NODE_ENV=production[^\n]*$/);
      expect(existsSync(join(dataDir, 'key-encryption-key'))).toBe(false);
    });

    it('names both problems at once', () => {
      expect(configError({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/latchkey', ISSUER: 'http://auth.example.com' }).split('\n')).toHaveLength(2);
    });
  });

  it.each([
    ['1', { hops: 1 }],
    ['2', { hops: 2 }],
    ['false', false],
    ['0', false],
    ['127.0.0.0/8', { addresses: ['127.0.0.0/8'] }],
    ['10.0.0.1, 192.168.0.0/16,::1,fd00::/8', { addresses: ['10.0.0.1', '192.168.0.0/16', '::1', 'fd00::/8'] }],
  ])('reads TRUST_PROXY=%j', (raw, expected) => {
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY, TRUST_PROXY: raw }).TRUST_PROXY).toEqual(expected);
  });

  it.each(['development', 'test', 'production'])('refuses Postgres without KEY_ENCRYPTION_KEY (NODE_ENV=%s), in one line', (mode) => {
    expect(configError({ NODE_ENV: mode, ISSUER: 'https://auth.example.com', DATABASE_URL: 'postgres://db/latchkey' })).toMatch(
      /^KEY_ENCRYPTION_KEY is required with DATABASE_URL: set a random secret of at least 32 characters[^\n]*$/,
    );
  });

  it('leaves the argon2 line to its default (8 per slot, src/users/password.ts) unless PASSWORD_HASH_QUEUE_SIZE is set; nice 10 by default', () => {
    expect(defaultPasswordQueueSize(2)).toBe(16);
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY }).PASSWORD_HASH_QUEUE_SIZE).toBeUndefined();
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY, PASSWORD_HASH_QUEUE_SIZE: '0' }).PASSWORD_HASH_QUEUE_SIZE).toBe(0);
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY, PASSWORD_HASH_QUEUE_SIZE: '500' }).PASSWORD_HASH_QUEUE_SIZE).toBe(500);
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY }).PASSWORD_HASH_NICE).toBe(10);
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY, PASSWORD_HASH_NICE: '0' }).PASSWORD_HASH_NICE).toBe(0);
  });

  it('bounds argon2 work to the available cores unless PASSWORD_HASH_CONCURRENCY says otherwise', () => {
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY }).PASSWORD_HASH_CONCURRENCY).toBe(availableParallelism());
    expect(loadConfig({ KEY_ENCRYPTION_KEY: STRONG_KEY, PASSWORD_HASH_CONCURRENCY: '3' }).PASSWORD_HASH_CONCURRENCY).toBe(3);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', KEY_ENCRYPTION_KEY: STRONG_KEY });
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('documents every variable in .env.example and the README', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const name of CONFIG_VARIABLES) {
      expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
      expect(readme, name).toContain(`\`${name}\``);
    }
  });
});
