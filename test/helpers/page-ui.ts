import { DEFAULT_BRANDING, type Branding } from '../../src/pages/branding.js';
import { CATALOGUES, type Language } from '../../src/pages/messages/index.js';
import type { PageUi } from '../../src/pages/ui.js';

/** The UI a page renders with, as pageUi(request) would build it, for rendering pages without a server. */
export function testUi(lang: Language = 'en', brand: Branding = DEFAULT_BRANDING): PageUi {
  return { lang, t: CATALOGUES[lang], brand, reference: '00000000-0000-4000-8000-000000000000' };
}
