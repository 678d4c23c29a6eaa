import { deviceApproval } from '../device/approval.js';
import { codeRedirect } from './code-redirect.js';
import type { FinalStep } from './final-step.js';

/** The final steps, one per kind of sign-in. A new kind: its step file and one line here. */
const FINAL_STEPS: readonly FinalStep[] = [codeRedirect, deviceApproval];

const byKind = new Map(FINAL_STEPS.map((step) => [step.kind, step]));

/** The step that ends a sign-in of this kind; undefined for a kind this server does not know. */
export function finalStepFor(kind: string): FinalStep | undefined {
  return byKind.get(kind);
}
