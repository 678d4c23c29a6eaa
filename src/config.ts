import { z } from 'zod';

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

const boolean = (fallback: boolean) =>
  oneOf(['true', 'false', '1', '0'], fallback ? 'true' : 'false').transform((v) => v === 'true' || v === '1');

export const SIGNING_ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;

const schema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  ISSUER: url(["http:", "https:"], "http://localhost:3000").transform((v) => (v ?? "").replace(/\/+$/, '')),
  HOST: z.string().min(1, 'must not be empty').default('localhost'),
  PORT: integer(3000, 0, 65535),
  TRUST_PROXY: boolean(false),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATA_DIR: z.string().min(1, 'must not be empty').default('./.data'),
  DB_POOL_MAX: integer(10, 1, 1000),
  DB_TIMEOUT: duration('5s', { min: 1 }),
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
  RATE_LIMIT_LOGIN: integer(20, 0, 1_000_000),
  RATE_LIMIT_TOKEN: integer(600, 0, 10_000_000),
  RATE_LIMIT_ADMIN: integer(300, 0, 10_000_000),
  CLIENT_SECRET_OVERLAP: duration('0'),
  LOGIN_LOCKOUT_THRESHOLD: integer(5, 0, 1000),
  LOGIN_LOCKOUT_DURATION: duration('15m', { min: 1 }),
  REDIS_URL: url(['redis:', 'rediss:']),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
});

type RawConfig = z.infer<typeof schema>;

/** Every environment variable Latchkey reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface Config extends Omit<RawConfig, 'KEY_ENCRYPTION_KEY'> {
  KEY_ENCRYPTION_KEY: string;
  /** True when KEY_ENCRYPTION_KEY was not set and the development key is in use. */
  usingDevelopmentKey: boolean;
}

/** The key used outside production when none is configured. Never accepted in production. */
export const DEVELOPMENT_KEY_ENCRYPTION_KEY = 'latchkey-development-only-key-do-not-use-in-production';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost');
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
  const raw = parsed.data;
  const problems: string[] = [];
  if (raw.NODE_ENV === 'production') {
    if (!raw.KEY_ENCRYPTION_KEY) problems.push('KEY_ENCRYPTION_KEY is required when NODE_ENV=production');
    const issuer = new URL(raw.ISSUER);
    if (issuer.protocol !== 'https:' && !isLoopbackHost(issuer.hostname)) {
      problems.push('ISSUER must be an https URL when NODE_ENV=production (http is allowed only for localhost)');
    }
  }
  if (new URL(raw.ISSUER).search || new URL(raw.ISSUER).hash) problems.push('ISSUER must not have a query or fragment');
  if (raw.REFRESH_IDLE_TTL > raw.REFRESH_ABSOLUTE_TTL) {
    problems.push('REFRESH_IDLE_TTL must not be longer than REFRESH_ABSOLUTE_TTL');
  }
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return {
    ...raw,
    KEY_ENCRYPTION_KEY: raw.KEY_ENCRYPTION_KEY ?? DEVELOPMENT_KEY_ENCRYPTION_KEY,
    usingDevelopmentKey: !raw.KEY_ENCRYPTION_KEY,
  };
}

/** The process environment, for the entry point to hand to loadConfig (and to nothing else). */
export function processEnvironment(): Record<string, string | undefined> {
  return process.env;
}
