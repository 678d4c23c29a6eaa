import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { isLoopbackHost } from '../config.js';
import type { JsonWebKeySetValue } from '../db/types.js';
import { ClientKeysUnavailable, type ClientKeyResolver, type KeyOwner } from './auth-methods/assertion-checks.js';
import { jwksProblem, MAX_JWKS_BYTES } from './jwks.js';

export interface ClientKeysOptions {
  /** How long one fetch of a jwks_uri may take, body included (CLIENT_JWKS_TIMEOUT). */
  timeoutMs: number;
  /** http jwks_uris (loopback only, checked at registration) are fetched only outside production. */
  allowHttp: boolean;
  /** A fetched set is used this long, then fetched again on the next assertion. */
  maxAgeMs?: number;
  /** At most one fetch per client this often, whatever asks (an unknown kid, an expired copy, a failure). */
  minFetchIntervalMs?: number;
}

interface CachedSet {
  uri: string;
  keys?: JWTVerifyGetKey;
  fetchedAt: number;
  /** The last fetch started (successful or not): the throttle. */
  attemptedAt: number;
  inFlight?: Promise<JWTVerifyGetKey>;
}

const FIVE_MINUTES_MS = 5 * 60_000;
const ONE_MINUTE_MS = 60_000;

/**
 * The public keys of private_key_jwt clients. Inline sets (`jwks`) are used as registered. A
 * `jwks_uri` is fetched on first use and cached per client: a copy is used for five minutes,
 * an unknown kid fetches again (the client rolled its key), and whatever the reason no client's
 * URI is fetched more than once a minute, so a flood of assertions with made-up kids never
 * becomes a flood of outbound requests. A failed fetch keeps the previous copy.
 *
 * SSRF: the URI is set by an administrator (admin API or CLI), never by the client itself; the
 * fetch follows no redirects, sends no credentials or cookies, is bounded in time
 * (CLIENT_JWKS_TIMEOUT) and size (MAX_JWKS_BYTES), and nothing of the response is shown to the
 * caller (it gets invalid_client; the operator's log gets the reason). Private addresses are
 * not refused: an operator may host keys internally on purpose.
 */
export class ClientKeySets implements ClientKeyResolver {
  private readonly remote = new Map<string, CachedSet>();
  private readonly inline = new WeakMap<JsonWebKeySetValue, JWTVerifyGetKey>();
  private readonly maxAgeMs: number;
  private readonly minFetchIntervalMs: number;

  constructor(private readonly options: ClientKeysOptions) {
    this.maxAgeMs = options.maxAgeMs ?? FIVE_MINUTES_MS;
    this.minFetchIntervalMs = options.minFetchIntervalMs ?? ONE_MINUTE_MS;
  }

  async keySet(client: KeyOwner, now: Date): Promise<JWTVerifyGetKey> {
    if (client.jwks) return this.inlineSet(client.jwks);
    const uri = this.uriOf(client);
    const cached = this.cached(client.clientId, uri);
    if (cached.keys && now.getTime() - cached.fetchedAt < this.maxAgeMs) return cached.keys;
    if (this.mayFetch(cached, now)) return this.fetchInto(cached, now);
    if (cached.inFlight) return cached.inFlight;
    // Too old but fetched (or tried) within the minute: the old copy until the next fetch may run.
    if (cached.keys) return cached.keys;
    throw new ClientKeysUnavailable('the jwks_uri failed less than a minute ago; not fetched again yet');
  }

  async refreshed(client: KeyOwner, now: Date): Promise<JWTVerifyGetKey | undefined> {
    if (client.jwks) return undefined;
    const cached = this.cached(client.clientId, this.uriOf(client));
    if (cached.inFlight) return cached.inFlight;
    if (!this.mayFetch(cached, now)) return undefined;
    return this.fetchInto(cached, now);
  }

  private inlineSet(jwks: JsonWebKeySetValue): JWTVerifyGetKey {
    let keys = this.inline.get(jwks);
    if (!keys) {
      keys = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
      this.inline.set(jwks, keys);
    }
    return keys;
  }

  private uriOf(client: KeyOwner): string {
    if (!client.jwksUri) throw new ClientKeysUnavailable('the client has neither jwks nor jwks_uri');
    return client.jwksUri;
  }

  /** The client's cache entry; a changed jwks_uri starts afresh. */
  private cached(clientId: string, uri: string): CachedSet {
    let entry = this.remote.get(clientId);
    if (!entry || entry.uri !== uri) {
      entry = { uri, fetchedAt: 0, attemptedAt: Number.NEGATIVE_INFINITY };
      this.remote.set(clientId, entry);
    }
    return entry;
  }

  private mayFetch(entry: CachedSet, now: Date): boolean {
    return !entry.inFlight && now.getTime() - entry.attemptedAt >= this.minFetchIntervalMs;
  }

  /** One fetch per entry at a time; concurrent callers share it. */
  private fetchInto(entry: CachedSet, now: Date): Promise<JWTVerifyGetKey> {
    entry.attemptedAt = now.getTime();
    const fetching = fetchKeySet(entry.uri, this.options).then(
      (jwks) => {
        entry.keys = createLocalJWKSet(jwks);
        entry.fetchedAt = now.getTime();
        return entry.keys;
      },
      (error: unknown) => {
        // The previous copy, if any, is better than nothing; the caller still learns of the failure in the log.
        if (entry.keys) return entry.keys;
        throw error instanceof ClientKeysUnavailable ? error : new ClientKeysUnavailable(`jwks_uri fetch failed: ${(error as Error).message}`);
      },
    );
    entry.inFlight = fetching.finally(() => {
      entry.inFlight = undefined;
    });
    return entry.inFlight;
  }
}

/** GET the URI: no redirects, bounded in time and size, a JWK Set of public keys or a ClientKeysUnavailable. */
export async function fetchKeySet(uri: string, options: Pick<ClientKeysOptions, 'timeoutMs' | 'allowHttp'>): Promise<JSONWebKeySet> {
  const url = new URL(uri);
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ClientKeysUnavailable('jwks_uri must be https (http for loopback only outside production)');
  }
  const response = await fetch(url, {
    redirect: 'error',
    credentials: 'omit',
    headers: { accept: 'application/jwk-set+json, application/json' },
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new ClientKeysUnavailable(`jwks_uri answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_JWKS_BYTES) {
    await response.body?.cancel();
    throw new ClientKeysUnavailable(`jwks_uri answered ${declared} bytes, more than ${MAX_JWKS_BYTES}`);
  }
  const text = await readLimited(response, MAX_JWKS_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ClientKeysUnavailable('jwks_uri answered something that is not JSON');
  }
  const problem = jwksProblem(parsed);
  if (problem) throw new ClientKeysUnavailable(`jwks_uri key set ${problem}`);
  return { keys: (parsed as JSONWebKeySet).keys };
}

/** The body as text, refused as soon as it passes `limit` bytes (a missing or lying Content-Length changes nothing). */
async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ClientKeysUnavailable(`jwks_uri answered more than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
