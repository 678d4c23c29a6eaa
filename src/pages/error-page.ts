import { html } from './html.js';
import { page } from './layout.js';

/** The page a browser endpoint answers when it cannot (or must not) redirect back to the application. */
export function errorPage(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><p class="error" role="alert">${message}</p><p class="sub">Go back to the application and try again.</p>`);
}
