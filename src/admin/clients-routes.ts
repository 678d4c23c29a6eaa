import { z } from 'zod';
import { clientWarnings } from '../clients/audience-warning.js';
import { metadataToJson } from '../clients/json.js';
import { checkClientMetadata, describeProblem } from '../clients/metadata-problems.js';
import { ADMIN_SCOPE, type ClientMetadataInput } from '../clients/schema.js';
import { createClient, deleteClient, findClient, listClients, lockClient, rotateClientSecret, updateClient, type Client } from '../clients/store.js';
import { afterCommit, withTransaction } from '../db/transaction.js';
import type { Trx } from '../db/queryable.js';
import { OAuthError } from '../http/oauth-error.js';
import { nowDate } from '../clock.js';
import { revokeGrantsOf } from '../tokens/grant-store.js';
import { CLIENT_ID_SHAPE, decodeCursor, nextCursor } from './cursor.js';
import { auditAdminAction, type AdminDeps } from './deps.js';
import { notFound, type AdminRouter } from './route.js';
import { clientIdParams, clientJson, clientPage, clientPatchBody, clientSchema, clientWithSecret, clientWithWarnings, iso, newClientBody, pageQuery, secretRotationBody, secretRotationResult } from './schemas.js';

type ClientBody = Partial<ClientMetadataInput>;

/** Demoting an admin client takes the reserved `admin` scope away with the flag that gave it. */
function scopesKept(body: ClientBody, base: Client): string[] {
  const demoting = base.admin && body.admin === false;
  return demoting ? base.scopes.filter((scope) => scope !== ADMIN_SCOPE) : base.scopes;
}

/** The body over the client as it is (PATCH) or alone (create), checked by the same schema as `latchkey client create`. */
function validatedSettings(body: ClientBody, base?: Client) {
  const current = base && { ...metadataToJson(base), scopes: scopesKept(body, base) };
  const checked = checkClientMetadata({ ...current, ...body });
  if (checked.ok) return checked.metadata;
  const fields = checked.problems.map(({ field, message }) => ({ field: field ? `body.${field}` : 'body', message }));
  throw new OAuthError('invalid_request', fields[0] ? describeProblem(fields[0]) : 'invalid client', 400, {}, { fields });
}

export function registerClientRoutes(router: AdminRouter, deps: AdminDeps): void {
  // The admin API reads the row itself, never the client cache: it shows and changes what is stored.
  const requireClient = async (id: string) => {
    const client = await findClient(deps.db, id);
    if (!client) throw notFound('client');
    return client;
  };
  /**
   * This instance stops serving its cached copy as soon as the change commits, before the
   * response: it reads its own writes. Other instances drop theirs when the trigger's
   * notification reaches them (clients/cache.ts).
   */
  const forgetOnCommit = (trx: Trx, clientId: string) => afterCommit(trx, () => deps.clients.forget(clientId));

  router.add({
    method: 'GET',
    path: '/admin/clients',
    tag: 'clients',
    summary: 'List clients (cursor pagination)',
    query: pageQuery,
    response: clientPage,
    handler: async ({ query }) => {
      const clients = await listClients(deps.db, { after: decodeCursor(query.cursor, CLIENT_ID_SHAPE), limit: query.limit });
      return { items: clients.map(clientJson), next_cursor: nextCursor(clients, query.limit, (c) => c.clientId) };
    },
  });

  router.add({
    method: 'POST',
    path: '/admin/clients',
    tag: 'clients',
    summary: 'Register a client; a confidential client’s secret is in this response only',
    body: newClientBody,
    response: clientWithSecret,
    status: 201,
    handler: async ({ body, request }) => {
      const settings = validatedSettings(body);
      const { client, secret } = await withTransaction(deps.db, async (trx) => {
        const created = await createClient(trx, settings);
        await auditAdminAction(trx, request, 'client_created', { clientId: created.client.clientId });
        return created;
      });
      return { ...clientJson(client), warnings: clientWarnings(settings), ...(secret ? { client_secret: secret } : {}) };
    },
  });

  router.add({
    method: 'GET',
    path: '/admin/clients/{id}',
    tag: 'clients',
    summary: 'Get a client',
    params: clientIdParams,
    response: clientSchema,
    handler: async ({ params }) => clientJson(await requireClient(params.id)),
  });

  router.add({
    method: 'PATCH',
    path: '/admin/clients/{id}',
    tag: 'clients',
    summary: 'Update redirect URIs, origins, scopes, grant types, first/third party, ...',
    params: clientIdParams,
    body: clientPatchBody,
    response: clientWithWarnings,
    handler: async ({ params, body, request }) => {
      const { updated, settings } = await withTransaction(deps.db, async (trx) => {
        const existing = await lockClient(trx, params.id);
        if (!existing) throw notFound('client');
        const merged = validatedSettings(body, existing);
        const changed = await updateClient(trx, params.id, merged, nowDate(deps));
        if (!changed) throw notFound('client');
        forgetOnCommit(trx, params.id);
        await auditAdminAction(trx, request, 'client_updated', { clientId: params.id, details: { fields: Object.keys(body).join(',') } });
        return { updated: changed, settings: merged };
      });
      return { ...clientJson(updated), warnings: clientWarnings(settings) };
    },
  });

  router.add({
    method: 'POST',
    path: '/admin/clients/{id}/secret',
    tag: 'clients',
    summary: 'Rotate a confidential client’s secret; the old one works for the overlap (CLIENT_SECRET_OVERLAP unless overlap_seconds is given)',
    params: clientIdParams,
    body: secretRotationBody,
    response: secretRotationResult,
    handler: async ({ params, body, request }) => {
      const client = await requireClient(params.id);
      if (client.type !== 'confidential') throw new OAuthError('invalid_request', 'a public client has no secret', 400);
      const overlap = body.overlap_seconds ?? deps.config.CLIENT_SECRET_OVERLAP;
      const rotated = await withTransaction(deps.db, async (trx) => {
        const result = await rotateClientSecret(trx, params.id, overlap, nowDate(deps));
        forgetOnCommit(trx, params.id);
        if (result) await auditAdminAction(trx, request, 'client_secret_rotated', { clientId: params.id, details: { overlap_seconds: overlap } });
        return result;
      });
      if (!rotated) throw notFound('client');
      return { client_id: params.id, client_secret: rotated.secret, previous_secret_valid_until: iso(rotated.client.previousSecretExpiresAt) };
    },
  });

  router.add({
    method: 'DELETE',
    path: '/admin/clients/{id}',
    tag: 'clients',
    summary: 'Delete a client, revoking its refresh families and their access tokens first',
    params: clientIdParams,
    response: z.object({}),
    status: 204,
    handler: async ({ params, request }) => {
      await requireClient(params.id);
      await withTransaction(deps.db, async (trx) => {
        const revoked = await revokeGrantsOf(trx, { clientId: params.id }, 'client deleted', nowDate(deps));
        await deleteClient(trx, params.id);
        forgetOnCommit(trx, params.id);
        await auditAdminAction(trx, request, 'client_deleted', { clientId: params.id, details: { revoked_families: revoked } });
      });
      return {};
    },
  });
}
