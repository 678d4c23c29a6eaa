import type { AuditEvent } from './event.js';

type Listener = (event: AuditEvent) => void;

const listeners = new Set<Listener>();

/** Lets metrics count audited events (process-wide). Returns the function that unsubscribes. */
export function onAuditEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notifyAuditListeners(event: AuditEvent): void {
  for (const listener of listeners) listener(event);
}
