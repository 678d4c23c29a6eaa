import { CLIENT_METADATA_FIELDS, type ClientMetadata, type ClientMetadataInput } from './schema.js';
import type { Client } from './store.js';

/** `redirect_uris` -> `redirectUris`: the wire name of a field -> its domain name. */
type DomainName<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<DomainName<Tail>>}` : S;
const domainName = (field: string) => field.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** Client metadata under its wire names, every field present (the compiler checks each has a domain twin). */
export type ClientMetadataJson = { [Field in keyof ClientMetadataInput]-?: ClientMetadata[DomainName<Field>] };

/** The wire form of client metadata, derived from the schema's field list. */
export function metadataToJson(metadata: ClientMetadata): ClientMetadataJson {
  return Object.fromEntries(CLIENT_METADATA_FIELDS.map((field) => [field, metadata[domainName(field) as keyof ClientMetadata]])) as ClientMetadataJson;
}

/** A client as the CLI and the admin API show it (snake_case; never its secret hash). */
export function clientToJson(client: Client) {
  return {
    client_id: client.clientId,
    ...metadataToJson(client),
    created_at: new Date(client.createdAt).toISOString(),
  };
}
