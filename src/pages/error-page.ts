import type { FastifyReply } from 'fastify';
import { html, type Html } from './html.js';
import { page } from './layout.js';
import type { Messages } from './messages/index.js';
import { sendHtml } from './send-html.js';
import { pageUi, type PageUi } from './ui.js';

/** The error pages there are, each a title and a sentence in every language (messages/*.ts). */
export type ErrorKind = keyof Messages['errors'];

/**
 * The page a browser endpoint answers when it cannot (or must not) redirect back to the
 * application: what happened in the person's words, what to do, and the reference (the request
 * id) that finds the log line with the technical detail.
 */
export function errorPage(ui: PageUi, kind: ErrorKind, next?: string): string {
  const { title, message } = ui.t.errors[kind];
  return page(
    ui,
    title,
    html`<h1>${title}</h1>
<p class="error" role="alert">${message}</p>
<p class="sub">${next ?? ui.t.backToApp}</p>
${reference(ui)}`,
  );
}

function reference(ui: PageUi): Html {
  return html`<p class="reference">${ui.t.errorReference}: <code>${ui.reference}</code><br>${ui.t.errorReferenceHint}</p>`;
}

/**
 * Sends an error page; `detail` (for operators, e.g. "unknown client_id") goes to the log line
 * under this request's id, never to the page.
 */
export function sendErrorPage(reply: FastifyReply, status: number, kind: ErrorKind, options: { detail?: string; next?: string } = {}): FastifyReply {
  reply.request.log.info({ errorPage: kind, status, detail: options.detail }, 'browser error page');
  return sendHtml(reply, status, errorPage(pageUi(reply.request), kind, options.next));
}
