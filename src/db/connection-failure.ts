/**
 * Turns the errors of a failed connection to Postgres into one sentence an operator can act on:
 * "cannot connect to the database at host:port (reason)". The user name may appear (Postgres
 * names the role it refused); the password never does.
 */

export class DatabaseConnectionError extends Error {
  override name = 'DatabaseConnectionError';
}

/** host:port of a Postgres URL (defaults as pg applies them), without user or password. */
export function databaseAddress(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const host = url.hostname || new URLSearchParams(url.search).get('host') || 'localhost';
    return `${host}:${url.port || '5432'}`;
  } catch {
    return 'the configured DATABASE_URL';
  }
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is Postgres running and listening on that address?',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved now',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'the connection was reset',
};

/** SQLSTATEs that refuse the connection itself (class 08, 28 and a few others); Postgres's own message says which. */
const CONNECTION_SQLSTATE = /^(08|28)|^(3D000|57P03|53300)$/;
const TIMEOUT_MESSAGE = /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i;
const CLOSED_MESSAGE = /Connection terminated unexpectedly|server does not support SSL|self[- ]signed certificate|certificate/i;

function reasonFor(error: { code?: unknown; message?: unknown }, timeoutMs: number | undefined): string | undefined {
  const code = typeof error.code === 'string' ? error.code : undefined;
  const message = typeof error.message === 'string' ? error.message : '';
  if (code && NETWORK_REASONS[code]) return NETWORK_REASONS[code];
  if (code && CONNECTION_SQLSTATE.test(code)) return message || `SQLSTATE ${code}`;
  if (TIMEOUT_MESSAGE.test(message)) return `no answer within DB_TIMEOUT${timeoutMs ? ` = ${timeoutMs / 1000} s` : ''}`;
  if (CLOSED_MESSAGE.test(message)) return message;
  return undefined;
}

/** Every spelling of the URL's password that could end up in a message, longest first. */
function secretsOf(databaseUrl: string): string[] {
  try {
    const raw = new URL(databaseUrl).password;
    return [...new Set([raw, decodeURIComponent(raw)])].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  } catch {
    return [];
  }
}

/**
 * The connection failure behind `error` (or its cause, as a MigrationError carries it), described
 * for the operator; undefined when the error is about something else.
 */
export function connectionFailure(error: unknown, databaseUrl: string, timeoutMs?: number): DatabaseConnectionError | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 3; current = (current as { cause?: unknown }).cause, depth++) {
    const reason = reasonFor(current as { code?: unknown; message?: unknown }, timeoutMs);
    if (reason === undefined) continue;
    const shown = secretsOf(databaseUrl).reduce((text, secret) => text.split(secret).join('***'), reason);
    return new DatabaseConnectionError(`cannot connect to the database at ${databaseAddress(databaseUrl)} (${shown})`, { cause: error });
  }
  return undefined;
}
