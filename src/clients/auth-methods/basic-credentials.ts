/** `Basic` followed by base64 (standard alphabet); anything else is not Basic credentials. */
const BASIC = /^Basic ([A-Za-z0-9+/=]{1,2000})$/i;

/** Whether the Authorization header uses the Basic scheme at all (well-formed or not). */
export function usesBasicScheme(authorization: string | undefined): boolean {
  return authorization !== undefined && /^basic /i.test(authorization.trim());
}

/**
 * RFC 6749 2.3.1: client id and secret are form-urlencoded (application/x-www-form-urlencoded,
 * so `+` is a space) before they are joined with a colon and base64-encoded. Undefined when the
 * header is not well-formed Basic credentials.
 */
export function parseBasicCredentials(authorization: string): { clientId: string; secret: string } | undefined {
  const match = BASIC.exec(authorization.trim());
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}
