import type { Client } from '../../clients/store.js';
import { deviceApproval } from '../device/approval.js';
import type { OAuthDeps } from '../deps.js';
import { accountReturn } from './account-return.js';
import { codeRedirect } from './code-redirect.js';
import type { FinalStep } from './final-step.js';

/** The final steps, one per kind of sign-in. A new kind: its step file and one line here. */
const FINAL_STEPS: readonly FinalStep[] = [codeRedirect, deviceApproval, accountReturn];

const byKind = new Map(FINAL_STEPS.map((step) => [step.kind, step]));

/** The step that ends a sign-in of this kind; undefined for a kind this server does not know. */
export function finalStepFor(kind: string): FinalStep | undefined {
  return byKind.get(kind);
}

/** The client a parked sign-in is for: the kind's built-in one, else the registered client (undefined once deleted). */
export async function signInClient(deps: OAuthDeps, final: FinalStep, clientId: string): Promise<Client | undefined> {
  return final.builtInClient ?? (await deps.clients.find(clientId));
}
