import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ActiveSession } from '../browser/session-store.js';
import type { StepContext } from '../login/step.js';
import type { Html } from '../pages/html.js';
import type { PageUi } from '../pages/ui.js';
import type { PublicUser } from '../users/store.js';

/** What a section of the /account overview is drawn from. */
export interface AccountView {
  ui: PageUi;
  session: ActiveSession;
  user: PublicUser;
  csrfToken: string;
  now: Date;
}

/**
 * One part of /account: its share of the overview and the routes of its actions (each action
 * checks CSRF and calls accountSession itself). Registered, in page order, in sections.ts; a new
 * kind of factor (passkeys) is one more section.
 */
export interface AccountSection {
  id: string;
  render(context: StepContext, view: AccountView): Promise<Html> | Html;
  registerRoutes(app: FastifyInstance, context: StepContext, overview: OverviewRenderer): void;
}

/** Draws the whole overview again, e.g. with a section's error (400) after a refused action. */
export type OverviewRenderer = (request: FastifyRequest, reply: FastifyReply, session: ActiveSession, options: { status: number; error?: string; notice?: string }) => Promise<FastifyReply>;
