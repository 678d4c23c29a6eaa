import type { FastifyInstance } from 'fastify';
import { perMinuteLimiter } from '../http/rate-limits.js';
import { registerAuditRoutes } from './audit-routes.js';
import { requireAdmin } from './auth.js';
import { registerClientRoutes } from './clients-routes.js';
import type { AdminDeps } from './deps.js';
import { registerFactorRoutes } from './factors-routes.js';
import { registerKeyRoutes } from './keys-routes.js';
import { acceptEmptyJsonBodies } from './json-body.js';
import { buildOpenApiDocument } from './openapi.js';
import { AdminRouter } from './route.js';
import { registerSessionRoutes } from './sessions-routes.js';
import { registerUserRoutes } from './users-routes.js';

/**
 * /admin, in a plugin context of its own (its JSON parser accepts an empty body): its own rate
 * limit (counted apart from the public one), then the admin token check.
 */
export async function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  await app.register(async (admin) => {
    acceptEmptyJsonBodies(admin);
    const limiter = perMinuteLimiter(admin, 'admin-ip', deps.config.RATE_LIMIT_ADMIN, (request) => request.ip);
    const router = new AdminRouter(admin, [...limiter, requireAdmin(deps)]);
    registerUserRoutes(router, deps);
    registerFactorRoutes(router, deps);
    registerSessionRoutes(router, deps);
    registerClientRoutes(router, deps);
    registerKeyRoutes(router, deps);
    registerAuditRoutes(router, deps);

    const document = JSON.stringify(buildOpenApiDocument(router.routes, deps.config.ISSUER));
    admin.get('/admin/openapi.json', { preHandler: limiter }, (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(document));
  });
}
