import { z } from 'zod';
import { AUTH_METHOD_NAMES, authMethodsFor, DEFAULT_AUTH_METHOD } from './auth-methods/registry.js';
import { GRANT_TYPES, grantRules, isGrantType, type GrantType } from './grant-types.js';
import { jwksProblem, jwksUriProblem, normalizedJwks } from './jwks.js';
import { originProblem, redirectUriProblem } from './uris.js';

export const CLIENT_TYPES = ['confidential', 'public'] as const;
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** The scope the admin API requires; only admin clients (--admin) may hold it. */
export const ADMIN_SCOPE = 'admin';

/** RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const redirectUri = z.string().superRefine((uri, ctx) => {
  const problem = redirectUriProblem(uri);
  if (problem) ctx.addIssue({ code: 'custom', message: `redirect URI "${uri}" ${problem}` });
});

const origin = z.string().superRefine((value, ctx) => {
  const problem = originProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `origin "${value}" ${problem}` });
});

const grantType = z.string().refine((g): g is GrantType => isGrantType(g), {
  error: (issue) => `unknown grant type "${String(issue.input)}"; allowed: ${GRANT_TYPES.join(', ')}`,
});

/** RFC 8707 2: an absolute URI without a fragment. */
function isAbsoluteUriWithoutFragment(value: string): boolean {
  try {
    return Boolean(new URL(value).protocol) && !value.includes('#');
  } catch {
    return false;
  }
}

const resource = z.string().superRefine((value, ctx) => {
  if (!isAbsoluteUriWithoutFragment(value)) ctx.addIssue({ code: 'custom', message: `resource "${value}" must be an absolute URI without a fragment` });
});

const jwksUri = z.string().superRefine((value, ctx) => {
  const problem = jwksUriProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `jwks_uri ${problem}` });
});

const jwks = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    const problem = jwksProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `jwks ${problem}` });
  })
  .transform(normalizedJwks);

const scope = z.string().regex(SCOPE_TOKEN, 'each scope must be printable ASCII without spaces, quotes or backslashes');

/**
 * Client metadata as the admin API, the CLI and the store take it: RFC 7591 2 names where one
 * exists (redirect_uris, post_logout_redirect_uris, grant_types, token_endpoint_auth_method),
 * Latchkey's own settings in snake_case beside them. `name` and the `scopes` array predate this
 * schema on the admin API's wire and stay as they are (RFC 7591 spells them client_name and a
 * space-separated scope). Every field but name and type may be left out (defaults below), so
 * the same fields serve create, PATCH (partial) and validation; a field's problems are reported
 * under its name here (`redirect_uris.0`), whoever asked.
 */
export const clientMetadataFields = {
  name: z.string().trim().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters'),
  type: z.enum(CLIENT_TYPES, { error: 'type must be confidential or public' }),
  redirect_uris: z.array(redirectUri).max(50).optional(),
  post_logout_redirect_uris: z.array(redirectUri).max(50).optional(),
  grant_types: z.array(grantType).min(1, 'at least one grant type is required').optional(),
  token_endpoint_auth_method: z.enum(AUTH_METHOD_NAMES, { error: `token_endpoint_auth_method must be one of ${AUTH_METHOD_NAMES.join(', ')}` }).optional(),
  scopes: z.array(scope).max(100).optional(),
  origins: z.array(origin).max(50).optional(),
  resources: z.array(resource).max(50).optional(),
  default_audience: resource.nullable().optional(),
  refresh_cookie: z.boolean().optional(),
  third_party: z.boolean().optional(),
  always_issue_refresh: z.boolean().optional(),
  /** Every sign-in for this client must reach urn:latchkey:loa:2 (users/assurance.ts). */
  require_mfa: z.boolean().optional(),
  admin: z.boolean().optional(),
  /** RFC 9449 5.2: /token refuses this client's requests without a DPoP proof. */
  dpop_bound_access_tokens: z.boolean().optional(),
  /** RFC 7591 2: private_key_jwt clients' public keys, by reference or by value (one of the two). */
  jwks_uri: jwksUri.nullable().optional(),
  jwks: jwks.nullable().optional(),
  /** RFC 9126 6: /authorize accepts this client's requests only when pushed to /par first. */
  require_pushed_authorization_requests: z.boolean().optional(),
};

/** The metadata as given (admin API body, CLI flags mapped to these names). */
export type ClientMetadataInput = z.input<z.ZodObject<typeof clientMetadataFields>>;

const unique = <T>(values: readonly T[] | undefined): T[] => [...new Set(values ?? [])];

/** Fills in the defaults and turns the wire names into the domain's camelCase fields. */
function withDefaults(input: z.output<z.ZodObject<typeof clientMetadataFields>>) {
  const admin = input.admin ?? false;
  const grantTypes = input.grant_types ?? (admin ? ['client_credentials'] : ['authorization_code', 'refresh_token']);
  const scopes = input.scopes ?? (admin ? [ADMIN_SCOPE] : DEFAULT_SCOPES);
  return {
    name: input.name,
    type: input.type,
    redirectUris: unique(input.redirect_uris),
    postLogoutRedirectUris: unique(input.post_logout_redirect_uris),
    grantTypes: unique(grantTypes as GrantType[]),
    tokenEndpointAuthMethod: input.token_endpoint_auth_method ?? DEFAULT_AUTH_METHOD[input.type],
    scopes: unique(admin && !scopes.includes(ADMIN_SCOPE) ? [...scopes, ADMIN_SCOPE] : scopes),
    origins: unique(input.origins),
    resources: unique(input.resources),
    defaultAudience: input.default_audience ?? null,
    refreshCookie: input.refresh_cookie ?? false,
    thirdParty: input.third_party ?? false,
    alwaysIssueRefresh: input.always_issue_refresh ?? false,
    requireMfa: input.require_mfa ?? false,
    admin,
    dpopBoundAccessTokens: input.dpop_bound_access_tokens ?? false,
    jwksUri: input.jwks_uri ?? null,
    jwks: input.jwks ?? null,
    requirePushedAuthorizationRequests: input.require_pushed_authorization_requests ?? false,
  };
}

type Metadata = ReturnType<typeof withDefaults>;

/** Rules across fields. Problems that belong to one field name it; the others belong to the whole client. */
function checkConsistency(client: Metadata, ctx: z.RefinementCtx): void {
  const problem = (message: string, field?: keyof ClientMetadataInput) => ctx.addIssue({ code: 'custom', message, ...(field ? { path: [field] } : {}) });
  if (client.admin && client.type !== 'confidential') problem('an admin client must be confidential');
  if (client.admin && !client.grantTypes.includes('client_credentials')) problem('an admin client needs the client_credentials grant');
  // Reserved: an app's own "admin" role must never read as Latchkey administration.
  if (!client.admin && client.scopes.includes(ADMIN_SCOPE)) problem(`the scope "${ADMIN_SCOPE}" is reserved for admin clients (--admin)`, 'scopes');
  for (const grant of client.grantTypes) {
    const rules = grantRules(grant);
    if (rules.confidentialOnly && client.type === 'public') problem(`a public client cannot use ${grant} (it has no secret)`);
    if (rules.needsRedirectUri && client.redirectUris.length === 0) problem(`the ${grant} grant needs at least one redirect URI`);
  }
  if (!authMethodsFor(client.type).includes(client.tokenEndpointAuthMethod)) {
    const allowed = authMethodsFor(client.type).join(' or ');
    problem(`a ${client.type} client authenticates with ${allowed}, not ${client.tokenEndpointAuthMethod}`, 'token_endpoint_auth_method');
  }
  const hasKeys = client.jwksUri !== null || client.jwks !== null;
  if (client.tokenEndpointAuthMethod === 'private_key_jwt' && !hasKeys) problem('a private_key_jwt client needs its public keys: jwks_uri or jwks', 'token_endpoint_auth_method');
  if (client.jwksUri !== null && client.jwks !== null) problem('give jwks_uri or jwks, not both', 'jwks');
  if (client.tokenEndpointAuthMethod !== 'private_key_jwt' && hasKeys) problem('jwks_uri and jwks are only for private_key_jwt clients (set them to null)', client.jwksUri !== null ? 'jwks_uri' : 'jwks');
  if (client.refreshCookie && client.type !== 'public') problem('refresh-cookie delivery is for public (browser) clients');
  if (client.refreshCookie && client.origins.length === 0) problem('refresh-cookie delivery needs at least one allowed origin');
}

/** The one client-metadata schema: validates the wire names, yields the domain's ClientMetadata. */
export const clientMetadataSchema = z.strictObject(clientMetadataFields).transform(withDefaults).superRefine(checkConsistency);

/** A client's settings as the rest of Latchkey sees them (camelCase, defaults applied). */
export type ClientMetadata = z.output<typeof clientMetadataSchema>;

/** The metadata fields in wire order, for turning a client back into its wire form. */
export const CLIENT_METADATA_FIELDS = Object.keys(clientMetadataFields) as (keyof ClientMetadataInput)[];
