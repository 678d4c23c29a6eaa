import { z } from 'zod';
import { originProblem, redirectUriProblem } from './uris.js';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
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

const grantType = z.string().refine((g): g is GrantType => (GRANT_TYPES as readonly string[]).includes(g), {
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

const scope = z.string().regex(SCOPE_TOKEN, 'each scope must be printable ASCII without spaces, quotes or backslashes');

export const newClientSchema = z
  .object({
    name: z.string().trim().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters'),
    type: z.enum(CLIENT_TYPES, { error: 'type must be confidential or public' }),
    redirectUris: z.array(redirectUri).max(50).default([]),
    postLogoutRedirectUris: z.array(redirectUri).max(50).default([]),
    grantTypes: z.array(grantType).min(1, 'at least one grant type is required').optional(),
    scopes: z.array(scope).max(100).optional(),
    origins: z.array(origin).max(50).default([]),
    refreshCookie: z.boolean().default(false),
    thirdParty: z.boolean().default(false),
    alwaysIssueRefresh: z.boolean().default(false),
    resources: z.array(resource).max(50).default([]),
    defaultAudience: resource.optional(),
    admin: z.boolean().default(false),
  })
  .transform((input) => {
    const grantTypes = input.grantTypes ?? (input.admin ? ['client_credentials'] : ['authorization_code', 'refresh_token']);
    const scopes = input.scopes ?? (input.admin ? [ADMIN_SCOPE] : DEFAULT_SCOPES);
    return {
      ...input,
      redirectUris: [...new Set(input.redirectUris)],
      postLogoutRedirectUris: [...new Set(input.postLogoutRedirectUris)],
      origins: [...new Set(input.origins)],
      resources: [...new Set(input.resources)],
      grantTypes: [...new Set(grantTypes)] as GrantType[],
      scopes: [...new Set(input.admin && !scopes.includes(ADMIN_SCOPE) ? [...scopes, ADMIN_SCOPE] : scopes)],
    };
  })
  .superRefine((client, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (client.admin && client.type !== 'confidential') problem('an admin client must be confidential');
    if (client.admin && !client.grantTypes.includes('client_credentials')) problem('an admin client needs the client_credentials grant');
    if (!client.admin && client.scopes.includes(ADMIN_SCOPE)) {
      // Reserved: an app's own "admin" role must never read as Latchkey administration.
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: `the scope "${ADMIN_SCOPE}" is reserved for admin clients (--admin)` });
    }
    if (client.type === 'public' && client.grantTypes.includes('client_credentials')) {
      problem('a public client cannot use client_credentials (it has no secret)');
    }
    if (client.grantTypes.includes('authorization_code') && client.redirectUris.length === 0) {
      problem('the authorization_code grant needs at least one redirect URI');
    }
    if (client.refreshCookie && client.type !== 'public') problem('refresh-cookie delivery is for public (browser) clients');
    if (client.refreshCookie && client.origins.length === 0) problem('refresh-cookie delivery needs at least one allowed origin');
  });

export type NewClient = z.output<typeof newClientSchema>;
