import type { TrustProxy } from '../config.js';

type FastifyTrustProxy = false | string[] | ((address: string, hop: number) => boolean);

/**
 * TRUST_PROXY as fastify's trustProxy. A hop count becomes "trust the nearest N hops" (the socket
 * peer is hop 0): request.ip is then the address the outermost trusted proxy saw, never a value
 * further left in X-Forwarded-For, which the client itself may have written. (fastify's own
 * numeric trustProxy now trusts nothing, hence the function.)
 */
export function fastifyTrustProxy(setting: TrustProxy): FastifyTrustProxy {
  if (setting === false) return false;
  if ('hops' in setting) {
    const hops = setting.hops;
    return (_address, hop) => hop < hops;
  }
  return setting.addresses;
}
