import type { Client } from '../../src/clients/store.js';

/** A registered client as the store returns it; override any field. The one place unit tests build one. */
export function testClient(overrides: Partial<Client> = {}): Client {
  return {
    clientId: 'app',
    name: 'App',
    type: 'confidential',
    tokenEndpointAuthMethod: 'client_secret_basic',
    redirectUris: ['https://app.example/callback'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    origins: [],
    refreshCookie: false,
    admin: false,
    thirdParty: false,
    alwaysIssueRefresh: false,
    requireMfa: false,
    resources: [],
    defaultAudience: null,
    dpopBoundAccessTokens: false,
    jwksUri: null,
    jwks: null,
    requirePushedAuthorizationRequests: false,
    secretHash: null,
    previousSecretHash: null,
    previousSecretExpiresAt: null,
    credentialsChangedAt: new Date(0),
    createdAt: new Date(0),
    ...overrides,
  };
}
