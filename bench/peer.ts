import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { REDIRECT_URI, type Fixtures } from './fixtures.js';
import { freePort, ROOT, startChild, type ChildServer } from './server.js';

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

/**
 * bench/peer-server.ts as plain JavaScript under node_modules/.cache (so its imports resolve):
 * the peer runs without tsx, which would add about 27 MB to its RSS.
 */
function transpiledPeerServer(): string {
  const source = readFileSync(fileURLToPath(new URL('./peer-server.ts', import.meta.url)), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  const dir = join(ROOT, 'node_modules', '.cache', 'latchkey-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'peer-server.mjs');
  writeFileSync(file, outputText);
  return file;
}

export interface PeerServer extends ChildServer {
  /** `count` never-used refresh tokens of the `web` client, each its own grant (family). */
  refreshTokens(count: number): Promise<string[]>;
}

/** node-oidc-provider 9 in a child process, with the ids and secrets of `clients`. */
export async function startPeer(clients: Record<keyof Fixtures, { clientId: string; secret: string }>): Promise<PeerServer> {
  const port = await freePort();
  const env = { NODE_ENV: 'production', PEER_CLIENTS: JSON.stringify(clients), PEER_REDIRECT_URI: REDIRECT_URI };
  const child = await startChild([transpiledPeerServer()], env, port);
  return {
    ...child,
    async refreshTokens(count) {
      const response = await fetch(`${child.url}/bench/refresh-tokens?count=${count}`, { method: 'POST' });
      if (!response.ok) throw new Error(`peer: minting refresh tokens failed: ${response.status} ${await response.text()}`);
      return (await response.json()) as string[];
    },
  };
}
