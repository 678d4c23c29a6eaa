// Minimal types for the parts of node-oidc-provider 9 the peer benchmark uses (it ships none).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ClientModel {
    clientId: string;
  }
  export interface GrantModel {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  export interface RefreshTokenModel {
    save(): Promise<string>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    Client: { find(clientId: string): Promise<ClientModel | undefined> };
    Grant: new (properties: { accountId: string; clientId: string }) => GrantModel;
    RefreshToken: new (properties: Record<string, unknown>) => RefreshTokenModel;
  }
}
