import { describe, expect, it } from 'vitest';
import { CLIENT_CREATE_HELP } from '../../src/cli/commands/client-create.js';
import { GRANT_TYPES, isGrantType } from '../../src/clients/grant-types.js';
import { checkClientMetadata } from '../../src/clients/metadata-problems.js';
import { AUTH_METHOD_NAMES, authMethodsFor } from '../../src/clients/auth-methods/registry.js';
import type { KeyRing } from '../../src/keys/ring.js';
import { buildDiscoveryDocument } from '../../src/oauth/discovery.js';
import { GRANTS, grantFor } from '../../src/oauth/grants/registry.js';

const discovery = buildDiscoveryDocument({ issuer: 'https://issuer.example', ring: { publishedAlgorithms: () => ['ES256'] } as unknown as KeyRing, requirePushedAuthorizationRequests: false });

describe('the grant registry is the one list', () => {
  it('has each grant once, with the parameters it reads', () => {
    const types = GRANTS.map((grant) => grant.type);
    expect(new Set(types).size).toBe(types.length);
    for (const grant of GRANTS) {
      expect(grantFor(grant.type)).toBe(grant);
      expect(grant.parameters).not.toContain('grant_type');
      expect(grant.parameters).not.toContain('client_secret');
    }
  });

  it.each(GRANTS.map((grant) => [grant.type]))('%s is in discovery, client validation, the CLI help and the metrics labels', (type) => {
    expect(discovery.grant_types_supported).toContain(type);
    expect(GRANT_TYPES).toContain(type);
    expect(isGrantType(type)).toBe(true);
    const client = checkClientMetadata({ name: 'x', type: 'confidential', redirect_uris: ['https://a.example/cb'], grant_types: [type] });
    expect(client.ok, JSON.stringify(client)).toBe(true);
    expect(CLIENT_CREATE_HELP).toContain(type);
  });

  it('knows nothing the registry does not serve', () => {
    expect([...(discovery.grant_types_supported as string[])].sort()).toEqual(GRANTS.map((grant) => grant.type).sort());
    expect([...GRANT_TYPES].sort()).toEqual(GRANTS.map((grant) => grant.type).sort());
    for (const unknown of ['password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', '__proto__', 'constructor']) {
      expect(grantFor(unknown)).toBeUndefined();
      expect(isGrantType(unknown)).toBe(false);
    }
  });

  it('lists the auth methods of the registry in discovery (introspection: confidential ones only)', () => {
    expect(discovery.token_endpoint_auth_methods_supported).toEqual(AUTH_METHOD_NAMES);
    expect(discovery.revocation_endpoint_auth_methods_supported).toEqual(AUTH_METHOD_NAMES);
    expect(discovery.introspection_endpoint_auth_methods_supported).toEqual(authMethodsFor('confidential'));
    for (const method of authMethodsFor('confidential')) expect(CLIENT_CREATE_HELP).toContain(method);
  });
});
