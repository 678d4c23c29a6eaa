import type { FastifyRequest } from 'fastify';
import type { AuthenticatedClient } from '../clients/authenticate.js';
import type { Params } from '../http/params.js';

/**
 * What the client-authenticated endpoints' plugin (client-endpoints.ts) puts on a request, and
 * how their routes read it. Apart from the plugin so that the routes it registers do not import it.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated client: set on /token, /revoke and /introspect (src/oauth/client-endpoints.ts), null elsewhere. */
    client: AuthenticatedClient | null;
    /** The form parameters of a client-authenticated endpoint, read once (RFC 6749 3.2); null elsewhere. */
    form: Params | null;
  }
}

/** The client a client-authenticated route runs for (the plugin's preHandler has set it). */
export function authenticatedCaller(request: FastifyRequest): AuthenticatedClient {
  if (!request.client) throw new Error('a client-authenticated route ran outside src/oauth/client-endpoints.ts');
  return request.client;
}

/** The form parameters of a client-authenticated route. */
export function formParams(request: FastifyRequest): Params {
  if (!request.form) throw new Error('a client-authenticated route ran outside src/oauth/client-endpoints.ts');
  return request.form;
}
