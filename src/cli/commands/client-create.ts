import { readFileSync } from 'node:fs';
import type { Config } from '../../config.js';
import { authMethodsFor } from '../../clients/auth-methods/registry.js';
import { GRANT_TYPES } from '../../clients/grant-types.js';
import { checkClientMetadata, describeProblem } from '../../clients/metadata-problems.js';
import type { ClientMetadataInput } from '../../clients/schema.js';
import { createClient } from '../../clients/store.js';
import { clientToJson } from '../../clients/json.js';
import { clientWarnings } from '../../clients/audience-warning.js';
import { parseCommandArgs, splitList } from '../args.js';
import { withDatabase } from '../database.js';
import { printJson, UsageError, type CliIO } from '../io.js';

export const CLIENT_CREATE_HELP = `Usage: latchkey client create --name N --type confidential|public [options]

Registers a client and prints it as JSON with its client_id and, for a confidential client,
its client_secret. The secret is shown only this once; Latchkey keeps only its SHA-256 hash.

  --name N                        display name (required)
  --type confidential|public      confidential clients authenticate with a secret; public ones
                                  (SPAs, native apps) use PKCE only (required unless --admin)
  --redirect-uri URI              repeatable; exact match at /authorize. https, or http only for
                                  localhost/127.0.0.1/[::1], or a private-use scheme (com.example.app:/cb)
  --post-logout-redirect-uri URI  repeatable; where /logout may send the browser afterwards
  --grant-types a,b               ${GRANT_TYPES.join(', ')}
                                  (default: authorization_code,refresh_token)
  --auth-method M                 how a confidential client authenticates at /token, /revoke,
                                  /introspect and /par: ${authMethodsFor('confidential').join(' or ')}
                                  (default: client_secret_basic; only this one is accepted).
                                  A public client uses none. private_key_jwt needs --jwks-uri or
                                  --jwks-file, and the client gets no secret
  --jwks-uri URI                  private_key_jwt: https URL of the client's public JWK Set
                                  (http only for loopback, and never fetched in production)
  --jwks-file FILE                private_key_jwt: a file holding the client's public JWK Set
                                  ({"keys": [...]}, no private members), stored with the client
  --require-par                   /authorize accepts this client's requests only when pushed to
                                  /par first (RFC 9126); REQUIRE_PAR=true demands it of every client
  --scopes "a b"                  scopes the client may ask for
                                  (default: "openid profile email offline_access")
  --origin ORIGIN                 repeatable; browser origin allowed to call /token with credentials
  --refresh-cookie                public SPA: the refresh token is set as an HttpOnly cookie, never
                                  returned in a body (needs --origin)
  --third-party                   show a consent page to users (default: first-party, no consent)
  --always-refresh                issue a refresh token even without the offline_access scope
  --require-mfa                   every sign-in for this client needs two factors
                                  (acr urn:latchkey:loa:2); users without one are led to enrol
  --resource URI                  repeatable; an RFC 8707 resource (API) the client may ask tokens for
  --audience URI                  audience of its access tokens when it names no resource
                                  (default: the issuer, accepted only by Latchkey's own
                                  endpoints: give every client that calls an API one, or a
                                  --resource; a warning says so otherwise)
  --require-dpop                  /token refuses requests without a DPoP proof (RFC 9449 5.2
                                  dpop_bound_access_tokens): every access token is key-bound
  --admin                         confidential client_credentials client with scope "admin",
                                  for the admin API
`;

/** The JSON in a --jwks-file; its shape is checked with the rest of the metadata. */
function readJwksFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--jwks-file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`--jwks-file: ${path} is not JSON`);
  }
}

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
    'require-mfa': { type: 'boolean' },
    admin: { type: 'boolean' },
    resource: { type: 'string', multiple: true },
    audience: { type: 'string' },
    'auth-method': { type: 'string' },
    'require-dpop': { type: 'boolean' },
    'jwks-uri': { type: 'string' },
    'jwks-file': { type: 'string' },
    'require-par': { type: 'boolean' },
  });
  if (values.help) {
    io.out(CLIENT_CREATE_HELP);
    return 0;
  }
  if (values.name === undefined) throw new UsageError('--name is required');
  const type = values.type ?? (values.admin ? 'confidential' : undefined);
  if (type === undefined) throw new UsageError('--type is required: confidential or public');
  // Flag -> field of the one client-metadata schema; the compiler checks every name is one of its fields.
  const metadata = {
    name: values.name,
    type,
    redirect_uris: values['redirect-uri'],
    post_logout_redirect_uris: values['post-logout-redirect-uri'],
    grant_types: splitList(values['grant-types'], /,/),
    token_endpoint_auth_method: values['auth-method'],
    scopes: splitList(values.scopes, /[\s,]+/),
    origins: values.origin,
    refresh_cookie: values['refresh-cookie'],
    third_party: values['third-party'],
    always_issue_refresh: values['always-refresh'],
    require_mfa: values['require-mfa'],
    admin: values.admin,
    resources: values.resource,
    default_audience: values.audience,
    dpop_bound_access_tokens: values['require-dpop'],
    jwks_uri: values['jwks-uri'],
    jwks: values['jwks-file'] === undefined ? undefined : readJwksFile(values['jwks-file']),
    require_pushed_authorization_requests: values['require-par'],
  } satisfies Record<keyof ClientMetadataInput, unknown>;
  const checked = checkClientMetadata(metadata);
  // The first problem, named as the admin API names it (without its `body.`).
  if (!checked.ok) throw new UsageError(checked.problems[0] ? describeProblem(checked.problems[0]) : 'invalid client');
  const input = checked.metadata;
  return withDatabase(config(), async ({ db }) => {
    const { client, secret } = await createClient(db, input);
    const { client_id, ...settings } = clientToJson(client);
    printJson(io, { client_id, ...(secret ? { client_secret: secret } : {}), ...settings });
    for (const warning of clientWarnings(input)) io.err(`latchkey: warning: ${warning}\n`);
    return 0;
  });
}
