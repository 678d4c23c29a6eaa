import type { Client } from './store.js';

/** A client as the CLI and the admin API show it (snake_case; never its secret hash). */
export function clientToJson(client: Client) {
  return {
    client_id: client.clientId,
    name: client.name,
    type: client.type,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    scopes: client.scopes,
    origins: client.origins,
    resources: client.resources,
    default_audience: client.defaultAudience,
    refresh_cookie: client.refreshCookie,
    third_party: client.thirdParty,
    always_issue_refresh: client.alwaysIssueRefresh,
    admin: client.admin,
    created_at: new Date(client.createdAt).toISOString(),
  };
}
