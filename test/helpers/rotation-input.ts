import { randomBytes, randomUUID } from 'node:crypto';
import type { RotationInput } from '../../src/tokens/refresh-store.js';
import { successorRefreshToken } from '../../src/tokens/refresh-successor.js';

/**
 * What the token endpoint would hand rotateRefreshTokens for `token` presented by `clientId`
 * (scopes and audience as given, a fresh jti, a one-minute access token, an hour of idle time),
 * with `more` on top. The successor is keyed by `successorKey`, random unless a test needs to
 * compute it again.
 */
export function rotationInput(token: string, clientId: string, audience: string, more: Partial<RotationInput> & { successorKey?: Buffer } = {}): RotationInput {
  const { successorKey = randomBytes(32), ...overrides } = more;
  const now = overrides.now ?? new Date();
  return {
    presentedToken: token,
    clientId,
    clientScopes: ['openid', 'offline_access'],
    clientAudiences: [audience],
    successorToken: successorRefreshToken(successorKey, token),
    accessTokenJti: randomUUID(),
    accessTokenExpiresAt: new Date(now.getTime() + 60_000),
    idleSeconds: 3600,
    now,
    ip: null,
    dpopJkt: null,
    ...overrides,
  };
}
