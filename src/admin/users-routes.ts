import { z } from 'zod';
import { logOutEverywhere } from '../browser/log-out-everywhere.js';
import { nowDate } from '../clock.js';
import { withTransaction } from '../db/transaction.js';
import { workSignal } from '../http/draining.js';
import { createUser, deleteUser, DuplicateUserError, findUserById, hashedPassword, listUsers, updateUser } from '../users/store.js';
import { decodeCursor, nextCursor, UUID_SHAPE } from './cursor.js';
import { auditAdminAction, type AdminDeps } from './deps.js';
import { conflict, fieldError, notFound, type AdminRouter } from './route.js';
import { newPasswordProblem } from '../users/password-policy.js';
import { idParams, newUserBody, userJson, userListQuery, userPage, userPatchBody, userSchema } from './schemas.js';

function duplicateToConflict(error: unknown): never {
  if (error instanceof DuplicateUserError) throw conflict(error.message);
  throw error;
}

/**
 * Why a PATCH must end every session and family of the user, if it must: disabling, or a new
 * password (whoever held the old one may hold a session made with it).
 */
function logOutReason(body: { disabled?: boolean; password?: string }): string | undefined {
  if (body.disabled === true) return 'user disabled';
  if (body.password !== undefined) return 'password changed by an admin';
  return undefined;
}

export function registerUserRoutes(router: AdminRouter, deps: AdminDeps): void {
  /** The one password rule (users/password-policy.ts), before anything is hashed or written. */
  const requireAcceptablePassword = (password: string | undefined) => {
    const problem = password === undefined ? undefined : newPasswordProblem(password, { minLength: deps.config.PASSWORD_MIN_LENGTH });
    if (problem) throw fieldError('body.password', problem);
  };

  router.add({
    method: 'GET',
    path: '/admin/users',
    tag: 'users',
    summary: 'List users (cursor pagination; username/email prefix filters)',
    query: userListQuery,
    response: userPage,
    handler: async ({ query }) => {
      const users = await listUsers(deps.db, { username: query.username, email: query.email, after: decodeCursor(query.cursor, UUID_SHAPE), limit: query.limit });
      return { items: users.map(userJson), next_cursor: nextCursor(users, query.limit, (u) => u.id) };
    },
  });

  router.add({
    method: 'POST',
    path: '/admin/users',
    tag: 'users',
    summary: 'Create a user',
    body: newUserBody,
    response: userSchema,
    status: 201,
    handler: async ({ body, request, reply }) => {
      // argon2 runs before the transaction: no connection (PGlite has one) waits on it.
      const { password, ...profile } = body;
      requireAcceptablePassword(password);
      const passwordHash = await hashedPassword(password, workSignal(reply));
      const user = await withTransaction(deps.db, async (trx) => {
        const created = await createUser(trx, { ...profile, passwordHash }).catch(duplicateToConflict);
        await auditAdminAction(trx, request, 'user_created', { userId: created.id });
        return created;
      });
      return userJson(user);
    },
  });

  router.add({
    method: 'GET',
    path: '/admin/users/{id}',
    tag: 'users',
    summary: 'Get a user',
    params: idParams,
    response: userSchema,
    handler: async ({ params }) => {
      const user = await findUserById(deps.db, params.id);
      if (!user) throw notFound('user');
      return userJson(user);
    },
  });

  router.add({
    method: 'PATCH',
    path: '/admin/users/{id}',
    tag: 'users',
    summary: 'Update a profile, set a password, or disable (a new password or disabling revokes every session and refresh family at once)',
    params: idParams,
    body: userPatchBody,
    response: userSchema,
    handler: async ({ params, body, request, reply }) => {
      const now = nowDate(deps);
      const reason = logOutReason(body);
      requireAcceptablePassword(body.password);
      // One transaction: a user is never left disabled, or with a new password, while the
      // sessions and families from before stay alive; nor logged out by a change that failed.
      const passwordHash = body.password === undefined ? undefined : await hashedPassword(body.password, workSignal(reply));
      const user = await withTransaction(deps.db, async (trx) => {
        const changes = { username: body.username, email: body.email, emailVerified: body.email_verified, name: body.name, passwordHash, disabled: body.disabled };
        const updated = await updateUser(trx, params.id, changes, now).catch(duplicateToConflict);
        if (!updated) throw notFound('user');
        const changed = Object.keys(body).filter((k) => k !== 'password');
        await auditAdminAction(trx, request, 'user_updated', { userId: updated.id, details: { fields: changed.join(','), password_set: body.password !== undefined } });
        if (reason) {
          const revoked = await logOutEverywhere(trx, updated.id, reason, now);
          await auditAdminAction(trx, request, body.disabled === true ? 'user_disabled' : 'password_reset_logout', { userId: updated.id, details: revoked });
        }
        return updated;
      });
      return userJson(user);
    },
  });

  router.add({
    method: 'DELETE',
    path: '/admin/users/{id}',
    tag: 'users',
    summary: 'Delete a user (revokes everything first)',
    params: idParams,
    response: z.object({}),
    status: 204,
    handler: async ({ params, request }) => {
      await withTransaction(deps.db, async (trx) => {
        if (!(await findUserById(trx, params.id))) throw notFound('user');
        await logOutEverywhere(trx, params.id, 'user deleted', nowDate(deps));
        await deleteUser(trx, params.id);
        await auditAdminAction(trx, request, 'user_deleted', { userId: params.id });
      });
      return {};
    },
  });
}
