import type { FastifyReply } from 'fastify';

/**
 * Sends a Latchkey page. Its CSP allows only our stylesheet and forms posting to us, plus the
 * client's redirect URI: browsers apply form-action to the redirect that follows a form post.
 * A page built with scripts (`options.scripts`: a WebAuthn ceremony) may also run Latchkey's own
 * script files (never inline script) and fetch from Latchkey; every other page runs none.
 */
export function sendHtml(reply: FastifyReply, status: number, body: string, redirectUri?: string, options: { scripts?: boolean } = {}): FastifyReply {
  const formAction = ["'self'"];
  if (redirectUri) {
    const url = new URL(redirectUri);
    formAction.push(url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol);
  }
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'self'; img-src 'self'; ${options.scripts ? "script-src 'self'; connect-src 'self'; " : ''}form-action ${formAction.join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
    )
    .send(body);
}
