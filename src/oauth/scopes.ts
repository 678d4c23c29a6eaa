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
