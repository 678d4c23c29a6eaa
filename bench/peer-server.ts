import { exportJWK, generateKeyPair } from 'jose';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

/**
 * node-oidc-provider 9 as the benchmark's peer (see bench/peer.ts, which starts this file in a
 * child process, transpiled to plain JavaScript so the peer runs without a TypeScript loader, as
 * Latchkey's compiled server does). Standalone: it imports only packages, and takes its clients,
 * resource and redirect URI from the environment.
 */

const PEER_ACCOUNT = 'bench-user';
const RESOURCE_SCOPES = 'api.read api.write';
const USER_SCOPE = 'openid profile offline_access';
const TTL = { AccessToken: 600, ClientCredentials: 600, IdToken: 600, RefreshToken: 14 * 86_400, Grant: 30 * 86_400, AuthorizationCode: 60, Interaction: 3_600, Session: 43_200 };

async function servePeer(): Promise<void> {
  const clients = JSON.parse(process.env.PEER_CLIENTS ?? '') as Record<'service' | 'web' | 'resourceServer', { clientId: string; secret: string }>;
  const redirectUri = process.env.PEER_REDIRECT_URI ?? '';
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'ES256', use: 'sig' };
  const issuer = `http://127.0.0.1:${process.env.PORT}`;
  const serviceLike = { response_types: [], redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' };

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
        redirect_uris: [redirectUri],
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

await servePeer();
