/**
 * http://127.0.0.1 or http://[::1] with an optional port, at the start of a URI, followed by the
 * path, the query or nothing. Case-sensitive on purpose: anything spelled differently from the
 * registration falls back to exact comparison (and fails it).
 */
const LOOPBACK_LITERAL_AUTHORITY = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(?=[/?]|$)/;

/** The URI without its port when it is an http loopback-literal URI with a valid port; else undefined. */
function withoutLoopbackPort(uri: string): string | undefined {
  const match = LOOPBACK_LITERAL_AUTHORITY.exec(uri);
  if (!match) return undefined;
  if (match[2] !== undefined && Number(match[2]) > 65535) return undefined;
  return `http://${match[1]}${uri.slice(match[0].length)}`;
}

/**
 * Whether `requested` is one of the client's registered redirect URIs. Exact string comparison,
 * except that a registration on http://127.0.0.1 or http://[::1] accepts any port: native apps
 * listen on an ephemeral port chosen at run time (RFC 8252 7.3). `localhost` is compared exactly
 * (RFC 8252 8.3 advises against it; its port is part of what was registered).
 */
export function isRegisteredRedirectUri(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const requestedPortless = withoutLoopbackPort(requested);
  if (requestedPortless === undefined) return false;
  return registered.some((uri) => withoutLoopbackPort(uri) === requestedPortless);
}
