import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface ClientKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** A key pair for a private_key_jwt client (jose generates it; the public half as a JWK with kid and alg). */
export async function clientKey(alg = 'ES256', kid = `k-${randomBytes(4).toString('hex')}`): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A client assertion (RFC 7523) as a client would sign it, at `now` (seconds; the test's clock),
 * with any claim or header overridden (undefined removes it).
 */
export async function signAssertion(
  key: ClientKey,
  clientId: string,
  audience: string | string[],
  options: { now?: number; claims?: Record<string, unknown>; header?: Record<string, unknown> } = {},
): Promise<string> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: clientId, sub: clientId, aud: audience, jti: randomBytes(12).toString('base64url'), iat: now, exp: now + 60, ...options.claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...options.header } as { alg: string }).sign(key.privateKey);
}

/** The form fields of private_key_jwt authentication. */
export function assertionFields(clientId: string, assertion: string): Record<string, string> {
  return { client_id: clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
}

type Behaviour = { kind: 'keys'; keys: JWK[] } | { kind: 'hang' } | { kind: 'oversized'; bytes: number; declareLength: boolean } | { kind: 'status'; status: number };

/**
 * A client's jwks_uri on 127.0.0.1: serves what each path is set to (keys, a hang, an oversized
 * body, an error status) and counts the requests per path.
 */
export class JwksServer {
  private readonly server: Server;
  private readonly paths = new Map<string, Behaviour>();
  private readonly hanging = new Set<ServerResponse>();
  readonly fetches = new Map<string, number>();

  private constructor() {
    this.server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      this.fetches.set(path, (this.fetches.get(path) ?? 0) + 1);
      const behaviour = this.paths.get(path);
      if (!behaviour) return response.writeHead(404).end();
      if (behaviour.kind === 'hang') {
        this.hanging.add(response);
        return;
      }
      if (behaviour.kind === 'status') return response.writeHead(behaviour.status).end();
      if (behaviour.kind === 'oversized') {
        const body = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'A'.repeat(behaviour.bytes), y: 'B' }] });
        response.writeHead(200, { 'content-type': 'application/json', ...(behaviour.declareLength ? { 'content-length': Buffer.byteLength(body) } : {}) });
        return response.end(body);
      }
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: behaviour.keys }));
    });
  }

  static async start(): Promise<JwksServer> {
    const jwks = new JwksServer();
    await new Promise<void>((resolve) => jwks.server.listen(0, '127.0.0.1', resolve));
    return jwks;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  serve(path: string, behaviour: Behaviour): string {
    this.paths.set(path, behaviour);
    return this.url(path);
  }

  fetchCount(path: string): number {
    return this.fetches.get(path) ?? 0;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
