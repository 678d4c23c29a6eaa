import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { readOrCreateEmbeddedKey } from './db/embedded-key-file.js';
import { DEFAULT_ACCENT, type Branding } from './pages/branding.js';
import { parseHexColour } from './pages/contrast.js';
import { readLogoFile, type LogoFile } from './pages/logo-file.js';

/** The only module that reads process.env. Every setting Latchkey has is declared here. */

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "600", "30s", "10m", "12h", "14d" -> seconds. Returns undefined for anything else. */
export function parseDuration(raw: string): number | undefined {
  const match = /^\s*(\d{1,9})\s*([smhd]?)\s*$/.exec(raw);
  if (!match) return undefined;
  return Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1);
}

const durationText = 'a duration: whole seconds or a number with s, m, h or d (e.g. 30s, 10m, 14d)';

function duration(fallback: string, opts: { min?: number } = {}) {
  const min = opts.min ?? 0;
  return z
    .string()
    .default(fallback)
    .transform((raw, ctx) => {
      const seconds = parseDuration(raw);
      if (seconds === undefined || seconds < min) {
        ctx.addIssue({ code: 'custom', message: `must be ${durationText}${min > 0 ? `, at least ${min}s` : ''}` });
        return z.NEVER;
      }
      return seconds;
    });
}

function integer(fallback: number, min: number, max: number) {
  return z
    .string()
    .default(String(fallback))
    .transform((raw, ctx) => {
      const value = /^\s*\d{1,9}\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });
}

/** A whole number from min to max, or undefined when unset (the reader derives a default). */
function optionalInteger(min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const value = /^\s*\d{1,9}\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z
    .string()
    .default(fallback)
    .refine((v): v is T[number] => (values as readonly string[]).includes(v), { message: `must be one of ${values.join(', ')}` })
    .transform((v) => v as T[number]);
}

function url(protocols: string[], fallback?: string) {
  const base = z.string().refine(
    (raw) => {
      try {
        const parsed = new URL(raw);
        return protocols.includes(parsed.protocol);
      } catch {
        return false;
      }
    },
    { message: `must be an absolute ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL` },
  );
  return fallback === undefined ? base.optional() : base.default(fallback);
}

/** Which proxies may set X-Forwarded-For: none, the nearest N hops, or these addresses/CIDRs. */
export type TrustProxy = false | { hops: number } | { addresses: string[] };

/** An IPv4/IPv6 address, optionally with a /prefix of the right size. */
function isAddressOrCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxy = z
  .string()
  .default('false')
  .transform((raw, ctx): TrustProxy => {
    const value = raw.trim();
    if (value === 'false' || value === '0') return false;
    if (value === 'true') {
      ctx.addIssue({
        code: 'custom',
        message:
          'must not be true (that trusts every hop, so any client could forge its IP address): give the number of proxies in front of Latchkey (e.g. 1) or their addresses/CIDRs (e.g. 10.0.0.0/8,fd00::/8)',
      });
      return z.NEVER;
    }
    if (/^\d{1,3}$/.test(value)) return Number(value) === 0 ? false : { hops: Number(value) };
    const addresses = value.split(',').map((part) => part.trim());
    if (addresses.every(isAddressOrCidr)) return { addresses };
    ctx.addIssue({ code: 'custom', message: 'must be false, a hop count (e.g. 1) or a comma-separated list of IP addresses/CIDRs of trusted proxies' });
    return z.NEVER;
  });

export const SIGNING_ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;

const schema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  // Unset: derived from HOST and PORT outside production (derivedIssuer), required in production.
  ISSUER: url(['http:', 'https:']).transform((v) => v?.replace(/\/+$/, '')),
  HOST: z.string().min(1, 'must not be empty').default('localhost'),
  PORT: integer(3000, 0, 65535),
  TRUST_PROXY: trustProxy,
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATA_DIR: z.string().min(1, 'must not be empty').default('./.data'),
  DB_POOL_MAX: integer(10, 1, 1000),
  DB_TIMEOUT: duration('5s', { min: 1 }),
  DB_PREPARED_STATEMENTS: oneOf(['true', 'false'], 'true'),
  KEY_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  SIGNING_ALG: oneOf(SIGNING_ALGS, 'ES256'),
  ACCESS_TOKEN_TTL: duration('10m', { min: 1 }),
  ID_TOKEN_TTL: duration('10m', { min: 1 }),
  REFRESH_IDLE_TTL: duration('14d', { min: 1 }),
  REFRESH_ABSOLUTE_TTL: duration('30d', { min: 1 }),
  REFRESH_REUSE_GRACE: duration('10s'),
  SESSION_IDLE_TTL: duration('1h', { min: 60 }),
  SESSION_ABSOLUTE_TTL: duration('12h', { min: 60 }),
  KEY_ROTATION_INTERVAL: duration('30d', { min: 60 }),
  JWKS_CACHE_TTL: duration('10m', { min: 1 }),
  CLOCK_TOLERANCE: duration('30s'),
  // RFC 9449 8: `required` makes every DPoP proof carry a fresh server nonce (use_dpop_nonce otherwise).
  DPOP_NONCE: oneOf(['off', 'required'], 'off'),
  RATE_LIMIT_LOGIN: integer(20, 0, 1_000_000),
  RATE_LIMIT_TOKEN: integer(600, 0, 10_000_000),
  RATE_LIMIT_AUTHORIZE: integer(120, 0, 10_000_000),
  RATE_LIMIT_ADMIN: integer(300, 0, 10_000_000),
  RATE_LIMIT_DEVICE: integer(20, 0, 10_000_000),
  DEVICE_CODE_TTL: duration('10m', { min: 60 }),
  DEVICE_POLL_INTERVAL: duration('5s', { min: 1 }),
  CLIENT_SECRET_OVERLAP: duration('0'),
  // private_key_jwt clients' jwks_uri: one fetch (connect, headers and body) may take this long.
  CLIENT_JWKS_TIMEOUT: duration('5s', { min: 1 }),
  // RFC 9126 5: every client must push its authorization requests to /par first.
  REQUIRE_PAR: oneOf(['true', 'false'], 'false'),
  // The client cache's safety net (clients/cache.ts): a full clear this often; 0 turns the cache off.
  CLIENT_CACHE_RELOAD_INTERVAL: duration('60s'),
  LOGIN_LOCKOUT_THRESHOLD: integer(5, 0, 1000),
  LOGIN_LOCKOUT_DURATION: duration('15m', { min: 1 }),
  // libuv's threadpool is sized from this too (src/bin.cts), before this schema ever runs.
  PASSWORD_HASH_CONCURRENCY: integer(availableParallelism(), 1, 1024),
  // Where a password is set (users/password-policy.ts); 8 is NIST SP 800-63B's floor. Login ignores it.
  PASSWORD_MIN_LENGTH: integer(8, 1, 1024),
  /** Unset: 8 per argon2 slot (src/users/password.ts, defaultPasswordQueueSize). */
  PASSWORD_HASH_QUEUE_SIZE: optionalInteger(0, 100_000),
  // Read by src/bin.cts before this schema runs (it lowers libuv's pool threads); validated here.
  PASSWORD_HASH_NICE: integer(10, 0, 19),
  REDIS_URL: url(['redis:', 'rediss:']),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  // Branding of the pages (pages/branding.ts); the logo file is read and checked below.
  BRAND_NAME: z.string().trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters').default('Latchkey'),
  BRAND_LOGO_FILE: z.string().min(1).optional(),
  BRAND_ACCENT_COLOR: z
    .string()
    .default(DEFAULT_ACCENT)
    .refine((value) => parseHexColour(value) !== undefined, { message: 'must be a hex colour such as #2457d6 or #25d' }),
  BRAND_SUPPORT_URL: url(['https:', 'http:', 'mailto:']),
});

type RawConfig = z.infer<typeof schema>;

/** Every environment variable Latchkey reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface Config extends Omit<RawConfig, 'KEY_ENCRYPTION_KEY' | 'ISSUER'> {
  ISSUER: string;
  /** ISSUER as set, or derived from HOST and PORT because it was unset (development and test only). */
  issuerSource: 'environment' | 'derived';
  KEY_ENCRYPTION_KEY: string;
  /**
   * Where KEY_ENCRYPTION_KEY came from: the environment, or (embedded store only) the key file in
   * DATA_DIR, read or generated by this load.
   */
  keyEncryptionKeySource: 'environment' | 'data-dir' | 'generated';
  /** The BRAND_* settings, with the logo file read and checked. */
  branding: Branding;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * localhost and the loopback literals (as URL.hostname spells them). `*.localhost` names are not:
 * nothing guarantees they resolve to this machine for every client (RFC 8252 8.3).
 */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * The issuer a server on HOST:PORT is reached at from this machine, for when ISSUER is unset
 * outside production: a wildcard address (0.0.0.0, ::) becomes localhost, an IPv6 literal gets
 * brackets. Undefined for PORT=0, whose port is known only once listening.
 */
export function derivedIssuer(host: string, port: number): string | undefined {
  if (port === 0) return undefined;
  const name = host === '0.0.0.0' || host === '::' || host === '[::]' ? 'localhost' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/** Parses an environment (process.env by default). Throws ConfigError with one line per bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'configuration');
      const shown = relevant[name] === undefined || /KEY|URL/.test(name) ? '' : ` (got "${relevant[name]}")`;
      return `${name} ${issue.message}${shown}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const { ISSUER: issuerSet, ...raw } = parsed.data;
  const problems: string[] = [];
  const ISSUER = issuerSet ?? (raw.NODE_ENV === 'production' ? undefined : derivedIssuer(raw.HOST, raw.PORT));
  if (ISSUER === undefined) {
    problems.push(
      raw.NODE_ENV === 'production'
        ? 'ISSUER is required when NODE_ENV=production: set the public https URL clients reach Latchkey at (e.g. https://login.example.com)'
        : 'ISSUER is required with PORT=0: the port, and so the URL clients reach Latchkey at, is known only once listening',
    );
  }
  const issuerSource = issuerSet === undefined ? 'derived' : 'environment';
  if (raw.DATABASE_URL && !raw.KEY_ENCRYPTION_KEY) {
    problems.push('KEY_ENCRYPTION_KEY is required with DATABASE_URL: set a random secret of at least 32 characters (e.g. `openssl rand -base64 32`) and keep it safe');
  } else if (raw.NODE_ENV === 'production' && !raw.KEY_ENCRYPTION_KEY) {
    // A generated key lives next to the data it protects: fine for development, not for production.
    problems.push('KEY_ENCRYPTION_KEY is required when NODE_ENV=production: set a random secret of at least 32 characters (e.g. `openssl rand -base64 32`) and keep it apart from DATA_DIR');
  }
  if (raw.NODE_ENV === 'production' && ISSUER !== undefined) {
    const issuer = new URL(ISSUER);
    if (issuer.protocol !== 'https:' && !isLoopbackHost(issuer.hostname)) {
      problems.push('ISSUER must be an https URL when NODE_ENV=production (http is allowed only for localhost)');
    }
  }
  if (ISSUER !== undefined && (new URL(ISSUER).search || new URL(ISSUER).hash)) problems.push('ISSUER must not have a query or fragment');
  if (raw.REFRESH_IDLE_TTL > raw.REFRESH_ABSOLUTE_TTL) {
    problems.push('REFRESH_IDLE_TTL must not be longer than REFRESH_ABSOLUTE_TTL');
  }
  if (raw.DEVICE_POLL_INTERVAL >= raw.DEVICE_CODE_TTL) {
    problems.push('DEVICE_POLL_INTERVAL must be shorter than DEVICE_CODE_TTL (a device would never get to poll)');
  }
  let logo: LogoFile | undefined;
  if (raw.BRAND_LOGO_FILE) {
    try {
      logo = readLogoFile(raw.BRAND_LOGO_FILE);
    } catch (error) {
      problems.push(`BRAND_LOGO_FILE ${(error as Error).message}`);
    }
  }
  if (problems.length || ISSUER === undefined) throw new ConfigError(problems.join('\n'));
  const branding: Branding = { productName: raw.BRAND_NAME, logo, accent: parseHexColour(raw.BRAND_ACCENT_COLOR)!, supportUrl: raw.BRAND_SUPPORT_URL };
  if (raw.KEY_ENCRYPTION_KEY) return { ...raw, ISSUER, issuerSource, branding, KEY_ENCRYPTION_KEY: raw.KEY_ENCRYPTION_KEY, keyEncryptionKeySource: 'environment' };
  // Only the embedded store gets here (Postgres without a key was refused above).
  let stored: { key: string; generated: boolean };
  try {
    stored = readOrCreateEmbeddedKey(raw.DATA_DIR);
  } catch (error) {
    throw new ConfigError(`KEY_ENCRYPTION_KEY is not set and the key file in DATA_DIR cannot be used: ${(error as Error).message}`);
  }
  return { ...raw, ISSUER, issuerSource, branding, KEY_ENCRYPTION_KEY: stored.key, keyEncryptionKeySource: stored.generated ? 'generated' : 'data-dir' };
}

/** The process environment, for the entry point to hand to loadConfig (and to nothing else). */
export function processEnvironment(): Record<string, string | undefined> {
  return process.env;
}
