import type { Check, Prompt, SignInState } from './prompt.js';

export interface UnmetPrompt {
  prompt: Prompt;
  check: Check;
}

/**
 * The one loop: prompts in their registered order, each prompt's checks in order; the first
 * check that applies names the step the browser goes to. Undefined: the final step may run.
 * A prompt's checks may assume every earlier prompt is satisfied (consent runs with a session).
 */
export async function firstUnmetPrompt(prompts: readonly Prompt[], state: SignInState): Promise<UnmetPrompt | undefined> {
  for (const prompt of prompts) {
    for (const check of prompt.checks) {
      if (await check.applies(state)) return { prompt, check };
    }
  }
  return undefined;
}
