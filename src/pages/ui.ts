import type { FastifyRequest } from 'fastify';
import { DEFAULT_BRANDING, type Branding } from './branding.js';
import { CATALOGUES, negotiateLanguage, type Language, type Messages } from './messages/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The operator's branding, decorated once by installPages (asset-routes.ts). */
    pageBranding?: Branding;
  }
}

/** What a page needs to speak to this person: their language's messages and the operator's branding. */
export interface PageUi {
  lang: Language;
  t: Messages;
  brand: Branding;
  /** The request id (http/request-id.ts): error pages show it as the reference for support. */
  reference: string;
}

/** The UI of the page this request answers: language from Accept-Language, branding from the app. */
export function pageUi(request: FastifyRequest): PageUi {
  const lang = negotiateLanguage(request.headers['accept-language']);
  return { lang, t: CATALOGUES[lang], brand: request.server.pageBranding ?? DEFAULT_BRANDING, reference: request.id };
}
