import { keyState } from '../keys/lifecycle.js';
import { rotate, rotateNow } from '../keys/rotation.js';
import { rotationDeps } from '../keys/setup.js';
import { listKeys, type StoredKey } from '../keys/store.js';
import { auditAdminAction, type AdminDeps } from './deps.js';
import type { AdminRouter } from './route.js';
import { iso, keyList, rotateBody, rotateResult } from './schemas.js';

function keyJson(key: StoredKey, now: number) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: keyState(key, now),
    created_at: iso(new Date(key.createdAt))!,
    activates_at: iso(new Date(key.activatesAt))!,
    retires_at: key.retiresAt === null ? null : iso(new Date(key.retiresAt)),
    removes_at: key.removesAt === null ? null : iso(new Date(key.removesAt)),
  };
}

export function registerKeyRoutes(router: AdminRouter, deps: AdminDeps): void {
  router.add({
    method: 'GET',
    path: '/admin/keys',
    tag: 'keys',
    summary: 'Signing keys with their states and dates',
    response: keyList,
    handler: async () => {
      const now = deps.clock.now();
      return { items: (await listKeys(deps.db)).map((key) => keyJson(key, now)) };
    },
  });

  router.add({
    method: 'POST',
    path: '/admin/keys/rotate',
    tag: 'keys',
    summary: 'Publish a next key that activates after the JWKS cache lifetime; {"now": true} activates one at once and retires the current key',
    body: rotateBody,
    response: rotateResult,
    handler: async ({ body, request }) => {
      const rotation = rotationDeps(deps.db, deps.config, deps.clock);
      const result = body.now ? { outcome: 'rotated', ...(await rotateNow(rotation)) } : await rotate(rotation);
      await deps.keys.reload();
      await auditAdminAction(deps.db, request, 'keys_rotated', { details: { outcome: result.outcome, kid: result.key.kid, now: Boolean(body.now) } });
      return { outcome: result.outcome, key: keyJson(result.key, deps.clock.now()) };
    },
  });
}
