import { exportJWK, generateKeyPair } from 'jose';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { REDIRECT_URI, type Fixtures } from './fixtures.js';
import { freePort, startChild, type ChildServer } from './server.js';

/**
 * The peer users would pick instead of Latchkey (issue 12): node-oidc-provider 9, configured like
 * Latchkey's benchmark and run in its own child process on 127.0.0.1 like the Latchkey server and
 * the bare ceiling. Its default in-memory adapter (an LRU of 1 000 to 2 000 entries), one ES256
 * key, client_credentials with a `resource` giving ES256 JWT access tokens for that resource,
 * opaque access tokens for a user's grant (what its introspection scenario introspects), refresh
 * tokens rotated on every use (`rotateRefreshToken: true`, reuse of a consumed one revokes the
 * grant), introspection enabled, the same client ids, secrets (client_secret_basic) and scopes as
 * the Latchkey fixtures, no rate limits (it has none), and no request logging.
 *
 * Two routes in front of the provider, outside its Koa app: GET /healthz (for `startChild`) and
 * POST /bench/refresh-tokens?count=N, which mints N refresh-token families for the `web` client
 * through the provider's own models (a Grant with `openid profile offline_access` and a
 * RefreshToken on it, as node-oidc-provider's own tests do) instead of N browser logins.
 */

/** The resource indicator of the client_credentials scenario (JWT access tokens are issued for it). */
export const PEER_RESOURCE = 'https://api.bench.test';
export const PEER_ACCOUNT = 'bench-user';
const RESOURCE_SCOPES = 'api.read api.write';
const USER_SCOPE = 'openid profile offline_access';
const TTL = { AccessToken: 600, ClientCredentials: 600, IdToken: 600, RefreshToken: 14 * 86_400, Grant: 30 * 86_400, AuthorizationCode: 60, Interaction: 3_600, Session: 43_200 };

async function servePeer(): Promise<void> {
  const clients = JSON.parse(process.env.PEER_CLIENTS ?? '') as Record<keyof Fixtures, { clientId: string; secret: string }>;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'ES256', use: 'sig' };
  const issuer = `http://127.0.0.1:${process.env.PORT}`;
  const serviceLike = { response_types: [], redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' };

  // Imported here, so the bench process that only starts the peer does not load it.
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, {
    clients: [
      { ...serviceLike, client_id: clients.service.clientId, client_secret: clients.service.secret, scope: RESOURCE_SCOPES },
      { ...serviceLike, client_id: clients.resourceServer.clientId, client_secret: clients.resourceServer.secret, scope: 'introspect' },
      {
        client_id: clients.web.clientId,
        client_secret: clients.web.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        scope: USER_SCOPE,
      },
    ],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    jwks: { keys: [signingKey] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
    scopes: ['openid', 'offline_access', 'profile', 'api.read', 'api.write', 'introspect'],
    findAccount: async (_ctx: unknown, sub: string) =>
      sub === PEER_ACCOUNT ? { accountId: sub, claims: async () => ({ sub, name: 'Bench User', preferred_username: sub }) } : undefined,
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: TTL,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => ({
          scope: RESOURCE_SCOPES,
          audience: resourceIndicator,
          accessTokenTTL: TTL.AccessToken,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });

  const web = await provider.Client.find(clients.web.clientId);
  if (!web) throw new Error('peer: the web client is missing');
  async function mintRefreshToken(): Promise<string> {
    const grant = new provider.Grant({ accountId: PEER_ACCOUNT, clientId: clients.web.clientId });
    grant.addOIDCScope(USER_SCOPE);
    const grantId = await grant.save();
    const now = Math.floor(Date.now() / 1000);
    return new provider.RefreshToken({ accountId: PEER_ACCOUNT, client: web, grantId, scope: USER_SCOPE, gty: 'authorization_code', authTime: now, iiat: now, expiresWithSession: false }).save();
  }

  const callback = provider.callback();
  const server = http.createServer((request, response) => {
    if (request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (request.method === 'POST' && request.url?.startsWith('/bench/refresh-tokens?')) {
      const count = Number(new URL(request.url, issuer).searchParams.get('count'));
      void Promise.all(Array.from({ length: count }, mintRefreshToken)).then(
        (tokens) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens)),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    } else {
      callback(request, response);
    }
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1', resolve));
  const close = () => server.close(() => process.exit(0));
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

export interface PeerServer extends ChildServer {
  /** `count` never-used refresh tokens of the `web` client, each its own grant (family). */
  refreshTokens(count: number): Promise<string[]>;
}

/** node-oidc-provider 9 in a child process, with the ids and secrets of `clients`. */
export async function startPeer(clients: Record<keyof Fixtures, { clientId: string; secret: string }>): Promise<PeerServer> {
  const port = await freePort();
  const env = { NODE_ENV: 'production', PEER_CLIENTS: JSON.stringify(clients) };
  const child = await startChild(['--import', 'tsx', fileURLToPath(import.meta.url), 'serve'], env, port);
  return {
    ...child,
    async refreshTokens(count) {
      const response = await fetch(`${child.url}/bench/refresh-tokens?count=${count}`, { method: 'POST' });
      if (!response.ok) throw new Error(`peer: minting refresh tokens failed: ${response.status} ${await response.text()}`);
      return (await response.json()) as string[];
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') await servePeer();
