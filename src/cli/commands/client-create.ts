import type { Config } from '../../config.js';
import { newClientSchema } from '../../clients/schema.js';
import { createClient } from '../../clients/store.js';
import { clientToJson } from '../../clients/json.js';
import { clientWarnings } from '../../clients/audience-warning.js';
import { parseCommandArgs, splitList } from '../args.js';
import { withDatabase } from '../database.js';
import { printJson, UsageError, type CliIO } from '../io.js';
import { parseOrUsageError } from '../validation.js';

export const CLIENT_CREATE_HELP = `Usage: latchkey client create --name N --type confidential|public [options]

Registers a client and prints it as JSON with its client_id and, for a confidential client,
its client_secret. The secret is shown only this once; Latchkey keeps only its SHA-256 hash.

  --name N                        display name (required)
  --type confidential|public      confidential clients authenticate with a secret; public ones
                                  (SPAs, native apps) use PKCE only (required unless --admin)
  --redirect-uri URI              repeatable; exact match at /authorize. https, or http only for
                                  localhost/127.0.0.1/[::1], or a private-use scheme (com.example.app:/cb)
  --post-logout-redirect-uri URI  repeatable; where /logout may send the browser afterwards
  --grant-types a,b               authorization_code, refresh_token, client_credentials
                                  (default: authorization_code,refresh_token)
  --scopes "a b"                  scopes the client may ask for
                                  (default: "openid profile email offline_access")
  --origin ORIGIN                 repeatable; browser origin allowed to call /token with credentials
  --refresh-cookie                public SPA: the refresh token is set as an HttpOnly cookie, never
                                  returned in a body (needs --origin)
  --third-party                   show a consent page to users (default: first-party, no consent)
  --always-refresh                issue a refresh token even without the offline_access scope
  --resource URI                  repeatable; an RFC 8707 resource (API) the client may ask tokens for
  --audience URI                  audience of its access tokens when it names no resource
                                  (default: the issuer, accepted only by Latchkey's own
                                  endpoints: give every client that calls an API one, or a
                                  --resource; a warning says so otherwise)
  --admin                         confidential client_credentials client with scope "admin",
                                  for the admin API
`;

export async function clientCreate(argv: string[], io: CliIO, config: () => Config): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    name: { type: 'string' },
    type: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'grant-types': { type: 'string' },
    scopes: { type: 'string' },
    origin: { type: 'string', multiple: true },
    'refresh-cookie': { type: 'boolean' },
    'third-party': { type: 'boolean' },
    'always-refresh': { type: 'boolean' },
    admin: { type: 'boolean' },
    resource: { type: 'string', multiple: true },
    audience: { type: 'string' },
  });
  if (values.help) {
    io.out(CLIENT_CREATE_HELP);
    return 0;
  }
  if (values.name === undefined) throw new UsageError('--name is required');
  const type = values.type ?? (values.admin ? 'confidential' : undefined);
  if (type === undefined) throw new UsageError('--type is required: confidential or public');
  const input = parseOrUsageError(newClientSchema, {
    name: values.name,
    type,
    redirectUris: values['redirect-uri'] ?? [],
    postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
    grantTypes: splitList(values['grant-types'], /,/),
    scopes: splitList(values.scopes, /[\s,]+/),
    origins: values.origin ?? [],
    refreshCookie: values['refresh-cookie'] ?? false,
    thirdParty: values['third-party'] ?? false,
    alwaysIssueRefresh: values['always-refresh'] ?? false,
    admin: values.admin ?? false,
    resources: values.resource ?? [],
    defaultAudience: values.audience,
  });
  return withDatabase(config(), async ({ db }) => {
    const { client, secret } = await createClient(db, input);
    const { client_id, ...settings } = clientToJson(client);
    printJson(io, { client_id, ...(secret ? { client_secret: secret } : {}), ...settings });
    for (const warning of clientWarnings(input)) io.err(`latchkey: warning: ${warning}\n`);
    return 0;
  });
}
