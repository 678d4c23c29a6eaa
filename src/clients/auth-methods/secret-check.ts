import { clientSecretMatches } from '../secret.js';
import type { StoredCredentials } from './method.js';

/** The current secret, or the previous one while its rotation overlap lasts. */
export function secretAccepted(stored: StoredCredentials, presented: string, now: Date): boolean {
  if (clientSecretMatches(presented, stored.secretHash)) return true;
  return stored.previousSecretExpiresAt !== null && stored.previousSecretExpiresAt.getTime() > now.getTime() && clientSecretMatches(presented, stored.previousSecretHash);
}
