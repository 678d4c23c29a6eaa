/** Scope strings (RFC 6749 3.3): space-delimited, order-free, duplicates meaningless. */
export function parseScope(scope: string | undefined): string[] {
  if (!scope) return [];
  return [...new Set(scope.split(' ').filter(Boolean))];
}

export function formatScope(scopes: Iterable<string>): string {
  return [...new Set(scopes)].join(' ');
}

export function isSubset(requested: string[], allowed: Iterable<string>): boolean {
  const allowedSet = new Set(allowed);
  return requested.every((s) => allowedSet.has(s));
}

/** What the consent page tells a user each standard scope gives away. */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'confirm who you are',
  profile: 'your name and username',
  email: 'your email address',
  offline_access: 'stay signed in and act for you while you are away',
  admin: 'administer this Latchkey server',
};

export function describeScope(scope: string): string {
  return SCOPE_DESCRIPTIONS[scope] ?? 'access defined by the application';
}
