import { z } from 'zod';
import type { Client } from '../clients/store.js';
import { clientToJson } from '../clients/json.js';
import { AUTH_METHOD_NAMES } from '../clients/auth-methods/registry.js';
import { CLIENT_TYPES, clientMetadataFields, type ClientMetadataInput } from '../clients/schema.js';
import type { PublicUser } from '../users/store.js';
import { emailSchema, passwordSchema, usernameSchema } from '../users/schema.js';

const iso = (date: Date | string | null) => (date === null ? null : new Date(date).toISOString());
const timestamp = z.string().describe('RFC 3339 date-time');

export const idParams = z.object({ id: z.string().uuid('must be a UUID') });
export const clientIdParams = z.object({ id: z.string().min(1).max(200) });

export const pageQuery = z.object({
  limit: z.coerce.number().int('must be a whole number').min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  email_verified: z.boolean(),
  name: z.string().nullable(),
  disabled: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});

export function userJson(user: PublicUser): z.input<typeof userSchema> {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    email_verified: user.email_verified,
    name: user.name,
    disabled: user.disabled,
    created_at: iso(user.created_at)!,
    updated_at: iso(user.updated_at)!,
  };
}

export const userListQuery = pageQuery.extend({ username: z.string().max(64).optional(), email: z.string().max(254).optional() });
export const userPage = z.object({ items: z.array(userSchema), next_cursor: z.string().nullable() });

export const newUserBody = z.strictObject({
  username: usernameSchema,
  password: passwordSchema,
  email: emailSchema.optional(),
  name: z.string().trim().min(1).max(200).optional(),
});

export const userPatchBody = z
  .strictObject({
    username: usernameSchema.optional(),
    email: emailSchema.nullable().optional(),
    email_verified: z.boolean().optional(),
    name: z.string().trim().min(1).max(200).nullable().optional(),
    password: passwordSchema.optional(),
    disabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one field is required');

/**
 * A client on the wire: the fields of the one client-metadata schema (src/clients/schema.ts), with
 * plain types here, since stored clients are shown as they are (the compiler checks the field list).
 */
const clientSettings = {
  name: z.string(),
  redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()),
  grant_types: z.array(z.string()),
  token_endpoint_auth_method: z.enum(AUTH_METHOD_NAMES),
  scopes: z.array(z.string()),
  origins: z.array(z.string()),
  resources: z.array(z.string()),
  default_audience: z.string().nullable(),
  refresh_cookie: z.boolean(),
  third_party: z.boolean(),
  always_issue_refresh: z.boolean(),
  require_mfa: z.boolean().describe('every sign-in for this client must reach urn:latchkey:loa:2 (two factors)'),
  admin: z.boolean(),
  dpop_bound_access_tokens: z.boolean().describe('RFC 9449 5.2: /token refuses requests without a DPoP proof'),
  jwks_uri: z.string().nullable(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).nullable(),
  require_pushed_authorization_requests: z.boolean(),
} satisfies Record<Exclude<keyof ClientMetadataInput, 'type'>, z.ZodType>;

export const clientSchema = z.object({
  client_id: z.string(),
  type: z.enum(CLIENT_TYPES),
  ...clientSettings,
  created_at: timestamp,
});

export const clientJson = (client: Client): z.input<typeof clientSchema> => clientToJson(client);

/** Create and PATCH answer the client with warnings about settings that are allowed but probably a mistake. */
export const clientWithWarnings = clientSchema.extend({
  warnings: z.array(z.string()).describe('settings that are allowed but probably a mistake (e.g. no audience for API tokens); empty when none'),
});
export const clientWithSecret = clientWithWarnings.extend({ client_secret: z.string().optional().describe('shown once') });
export const clientPage = z.object({ items: z.array(clientSchema), next_cursor: z.string().nullable() });

/** Bodies are checked field by field with the client-metadata schema's own fields (so `body.redirect_uris.0` names a bad URI). */
export const newClientBody = z.strictObject(clientMetadataFields);
const { type: _fixedAtCreation, ...changeableFields } = clientMetadataFields;
export const clientPatchBody = z
  .strictObject(changeableFields)
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'at least one field is required');

export const secretRotationBody = z.strictObject({ overlap_seconds: z.number().int().min(0).max(30 * 86400).optional() });
export const secretRotationResult = z.object({ client_id: z.string(), client_secret: z.string(), previous_secret_valid_until: timestamp.nullable() });

export const familySchema = z.object({
  id: z.string(),
  kind: z.literal('refresh_family'),
  client_id: z.string(),
  scope: z.string(),
  created_at: timestamp,
  last_used_at: timestamp,
  expires_at: timestamp,
  revoked_at: timestamp.nullable(),
  revoked_reason: z.string().nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
});

export const browserSessionSchema = z.object({
  id: z.string(),
  kind: z.literal('browser_session'),
  created_at: timestamp,
  last_used_at: timestamp,
  expires_at: timestamp,
  ended_at: timestamp.nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
});

export const sessionsResult = z.object({ refresh_families: z.array(familySchema), browser_sessions: z.array(browserSessionSchema) });
export const logoutEverywhereResult = z.object({ revoked_families: z.number(), ended_sessions: z.number() });
export const revokedResult = z.object({ revoked: z.boolean() });

export const keySchema = z.object({
  kid: z.string(),
  alg: z.string(),
  state: z.string(),
  created_at: timestamp,
  activates_at: timestamp,
  retires_at: timestamp.nullable(),
  removes_at: timestamp.nullable(),
});
export const keyList = z.object({ items: z.array(keySchema) });
export const rotateBody = z.strictObject({ now: z.boolean().optional() });
export const rotateResult = z.object({ outcome: z.string(), key: keySchema.nullable() });

export const auditQuery = pageQuery.extend({
  user_id: z.string().uuid('must be a UUID').optional(),
  client_id: z.string().max(200).optional(),
  type: z.string().max(64).optional(),
  since: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time' }).optional(),
  until: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time' }).optional(),
});
export const auditEventSchema = z.object({
  id: z.string(),
  occurred_at: timestamp,
  type: z.string(),
  user_id: z.string().nullable(),
  client_id: z.string().nullable(),
  actor_client_id: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export const auditPage = z.object({ items: z.array(auditEventSchema), next_cursor: z.string().nullable() });

export { iso };
