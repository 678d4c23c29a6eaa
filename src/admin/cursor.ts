import { OAuthError } from '../http/oauth-error.js';

/** Opaque page cursors: the last key of the page, base64url-wrapped so clients do not build them. */
export function encodeCursor(key: string | undefined): string | null {
  return key === undefined ? null : Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: RegExp): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!shape.test(key)) {
    throw new OAuthError('invalid_request', 'query.cursor: is not a cursor this server issued', 400, {}, { fields: [{ field: 'query.cursor', message: 'is not a cursor this server issued' }] });
  }
  return key;
}

/** Next cursor when the page is full (there may be more), else null. */
export function nextCursor<T>(items: T[], limit: number, key: (item: T) => string): string | null {
  return items.length === limit ? encodeCursor(key(items[items.length - 1]!)) : null;
}

export const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const CLIENT_ID_SHAPE = /^[A-Za-z0-9_-]{1,200}$/;
export const AUDIT_ID_SHAPE = /^\d{1,19}$/;
