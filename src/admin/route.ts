import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { OAuthError } from '../http/oauth-error.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface AdminRouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The success response; also strips anything not in it before sending. */
  response: R;
  status?: number;
  handler: (input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; request: FastifyRequest; reply: FastifyReply }) => Promise<z.input<R>>;
}

/** Everything registered, for the OpenAPI document. */
export type RegisteredRoute = AdminRouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

/** Turns zod issues into a 400 that names each field. */
function validationError(where: string, error: z.ZodError): OAuthError {
  const fields = error.issues.map((issue) => ({ field: [where, ...issue.path.map(String)].join('.'), message: issue.message }));
  const first = fields[0];
  return new OAuthError('invalid_request', first ? `${first.field}: ${first.message}` : 'invalid request', 400, {}, { fields });
}

/** A 400 for one field, in the shape schema failures have (for checks a schema cannot make). */
export function fieldError(field: string, message: string): OAuthError {
  return new OAuthError('invalid_request', `${field}: ${message}`, 400, {}, { fields: [{ field, message }] });
}

function parse<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): z.output<S> {
  if (!schema) return undefined as z.output<S>;
  const result = schema.safeParse(value ?? (where === 'body' ? {} : value));
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

export class AdminRouter {
  readonly routes: RegisteredRoute[] = [];

  constructor(private readonly app: FastifyInstance, private readonly preHandler: preHandlerHookHandler[]) {}

  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(spec: AdminRouteSpec<P, Q, B, R>): void {
    this.routes.push(spec as unknown as RegisteredRoute);
    const fastifyPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
    this.app.route({
      method: spec.method,
      url: fastifyPath,
      preHandler: this.preHandler,
      handler: async (request, reply) => {
        if (spec.body && !/^application\/json/i.test(String(request.headers['content-type'] ?? ''))) {
          if (request.body !== undefined) throw new OAuthError('invalid_request', 'the body must be application/json', 415);
        }
        const input = {
          params: parse(spec.params, request.params, 'params'),
          query: parse(spec.query, request.query, 'query'),
          body: parse(spec.body, request.body, 'body'),
          request,
          reply,
        };
        const result = await spec.handler(input);
        reply.header('cache-control', 'no-store');
        if (spec.status === 204) return reply.code(204).send();
        return reply.code(spec.status ?? 200).send(spec.response.parse(result));
      },
    });
  }
}

export const notFound = (what: string) => new OAuthError('not_found', `no such ${what}`, 404);
export const conflict = (description: string) => new OAuthError('conflict', description, 409);
