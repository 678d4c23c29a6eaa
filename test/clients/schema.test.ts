import { describe, expect, it } from 'vitest';
import { clientToJson, metadataToJson } from '../../src/clients/json.js';
import { checkClientMetadata } from '../../src/clients/metadata-problems.js';
import { CLIENT_METADATA_FIELDS, clientMetadataSchema } from '../../src/clients/schema.js';
import type { Client } from '../../src/clients/store.js';

const REDIRECT = 'https://app.example.com/cb';
const base = { name: 'App', type: 'confidential', redirect_uris: [REDIRECT] };

function problemsOf(input: Record<string, unknown>) {
  const checked = checkClientMetadata(input);
  if (checked.ok) throw new Error('expected problems');
  return checked.problems;
}

describe('the client-metadata schema', () => {
  it('fills in the defaults and yields the domain fields', () => {
    expect(clientMetadataSchema.parse(base)).toEqual({
      name: 'App',
      type: 'confidential',
      redirectUris: [REDIRECT],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      origins: [],
      resources: [],
      defaultAudience: null,
      refreshCookie: false,
      thirdParty: false,
      alwaysIssueRefresh: false,
      requireMfa: false,
      admin: false,
      dpopBoundAccessTokens: false,
      jwksUri: null,
      jwks: null,
      requirePushedAuthorizationRequests: false,
    });
  });

  it.each([
    ['a public client', { ...base, type: 'public' }, 'none'],
    ['a confidential client', base, 'client_secret_basic'],
    ['a confidential client that chose the body', { ...base, token_endpoint_auth_method: 'client_secret_post' }, 'client_secret_post'],
  ])('%s authenticates with %s', (_label, input, method) => {
    expect(clientMetadataSchema.parse(input).tokenEndpointAuthMethod).toBe(method);
  });

  it('makes --admin a client_credentials client with the admin scope, and drops duplicates', () => {
    const admin = clientMetadataSchema.parse({ name: 'ops', type: 'confidential', admin: true, scopes: ['x', 'x'] });
    expect(admin).toMatchObject({ grantTypes: ['client_credentials'], scopes: ['x', 'admin'] });
  });

  it.each([
    ['a relative redirect URI', { ...base, redirect_uris: ['/cb'] }, 'redirect_uris.0', /must be an absolute URL/],
    ['a second bad redirect URI', { ...base, redirect_uris: [REDIRECT, 'http://evil.example/cb'] }, 'redirect_uris.1', /http only for localhost/],
    ['a bad post-logout URI', { ...base, post_logout_redirect_uris: ['https://a.example/#x'] }, 'post_logout_redirect_uris.0', /fragment/],
    ['an unknown grant type', { ...base, grant_types: ['authorization_code', 'password'] }, 'grant_types.1', /unknown grant type "password"/],
    ['no grant type', { ...base, grant_types: [] }, 'grant_types', /at least one grant type/],
    ['an unknown auth method', { ...base, token_endpoint_auth_method: 'client_secret_jwt' }, 'token_endpoint_auth_method', /must be one of client_secret_basic, client_secret_post, private_key_jwt, none/],
    ['a public client with a secret method', { ...base, type: 'public', token_endpoint_auth_method: 'client_secret_basic' }, 'token_endpoint_auth_method', /public client authenticates with none/],
    ['a confidential client with none', { ...base, token_endpoint_auth_method: 'none' }, 'token_endpoint_auth_method', /confidential client authenticates with client_secret_basic or client_secret_post/],
    ['the reserved scope', { ...base, scopes: ['openid', 'admin'] }, 'scopes', /reserved for admin clients/],
    ['a scope with a quote', { ...base, scopes: ['a"b'] }, 'scopes.0', /printable ASCII/],
    ['an origin with a path', { ...base, origins: ['https://a.example/app'] }, 'origins.0', /exactly an origin/],
    ['a resource with a fragment', { ...base, resources: ['https://api.example/#x'] }, 'resources.0', /without a fragment/],
    ['an empty name', { ...base, name: '  ' }, 'name', /must not be empty/],
    ['an unknown type', { ...base, type: 'secret' }, 'type', /confidential or public/],
    ['an unknown field', { ...base, redirectUris: [REDIRECT] }, '', /redirectUris/],
    ['authorization_code without a redirect URI', { name: 'x', type: 'confidential' }, '', /needs at least one redirect URI/],
    ['client_credentials on a public client', { name: 'x', type: 'public', grant_types: ['client_credentials'] }, '', /public client cannot use client_credentials/],
    ['a public admin client', { name: 'x', type: 'public', admin: true }, '', /admin client must be confidential/],
    ['a refresh cookie on a confidential client', { ...base, refresh_cookie: true, origins: ['https://a.example'] }, '', /refresh-cookie delivery is for public/],
    ['a refresh cookie without an origin', { ...base, type: 'public', refresh_cookie: true }, '', /needs at least one allowed origin/],
  ])('refuses %s, naming %j', (_label, input, field, message) => {
    const problems = problemsOf(input);
    expect(problems[0]!.field).toBe(field);
    expect(problems[0]!.message).toMatch(message);
  });

  it('turns a client back into its wire form: every field of the schema, nothing else but id and creation time', () => {
    const metadata = clientMetadataSchema.parse({ ...base, default_audience: 'https://api.example.com', token_endpoint_auth_method: 'client_secret_post' });
    const wire = metadataToJson(metadata);
    expect(Object.keys(wire)).toEqual(CLIENT_METADATA_FIELDS);
    expect(clientMetadataSchema.parse(wire)).toEqual(metadata);
    const client: Client = { ...metadata, clientId: 'c1', secretHash: 'h', previousSecretHash: null, previousSecretExpiresAt: null, credentialsChangedAt: new Date(0), createdAt: new Date(0) };
    const json = clientToJson(client);
    expect(Object.keys(json).sort()).toEqual(['client_id', 'created_at', ...CLIENT_METADATA_FIELDS].sort());
    expect(JSON.stringify(json)).not.toContain('"h"');
  });
});
