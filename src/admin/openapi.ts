import { z } from 'zod';
import type { RegisteredRoute } from './route.js';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' });

const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string' },
    error_description: { type: 'string' },
    fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
  },
};

function parameters(route: RegisteredRoute) {
  const list: object[] = [];
  for (const [location, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const shape = (jsonSchema(schema, 'input') as { properties?: Record<string, object>; required?: string[] });
    for (const [name, property] of Object.entries(shape.properties ?? {})) {
      list.push({ name, in: location, required: location === 'path' || (shape.required ?? []).includes(name), schema: property });
    }
  }
  return list;
}

/** The OpenAPI 3.0 document of the admin API, generated from the same zod schemas that validate it. */
export function buildOpenApiDocument(routes: readonly RegisteredRoute[], issuer: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const status = String(route.status ?? 200);
    const responses: Record<string, object> = {
      [status]: status === '204' ? { description: 'done' } : { description: 'success', content: { 'application/json': { schema: jsonSchema(route.response, 'output') } } },
      '400': { description: 'invalid request (field-level messages in `fields`)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '401': { description: 'no valid access token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '403': { description: 'the token is valid but not an admin client’s (client_credentials of an --admin client, scope `admin`)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '429': { description: 'rate limited', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      '503': {
        description: '`temporarily_unavailable`, with `Retry-After`: the database does not answer, or (a route that sets a password) the line for password hashing is full or the server is shutting down',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    };
    if (route.params) responses['404'] = { description: 'not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      parameters: parameters(route),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Latchkey admin API', version: '1.0.0', description: 'Bearer access token from client_credentials of an --admin client, scope `admin`, audience the issuer. Every call re-checks that the client still exists, is still an admin and has not changed its credentials since the token was issued.' },
    servers: [{ url: issuer }],
    security: [{ bearer: [] }],
    tags: ['users', 'sessions', 'clients', 'keys', 'audit'].map((name) => ({ name })),
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: { Error: errorSchema } },
    paths,
  };
}
