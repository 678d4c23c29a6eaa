import { isLoopbackHost } from '../config.js';

/** Why a redirect URI is refused, or undefined when it is acceptable. */
export function redirectUriProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (raw.includes('#') || url.hash) return 'must not contain a fragment';
  if (/\s/.test(raw)) return 'must not contain white space';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? undefined : 'may use http only for localhost, 127.0.0.1 or [::1]; use https';
  }
  // RFC 8252 7.1: native apps may use a private-use scheme in reverse-domain form.
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(url.protocol)) return undefined;
  return 'must use https (http only for loopback, or a reverse-domain private-use scheme such as com.example.app:)';
}

/** Why a browser origin is refused, or undefined when it is an origin in canonical form. */
export function originProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an origin such as https://app.example.com';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return 'must use https (http only for loopback)';
  }
  if (url.origin !== raw) return `must be exactly an origin, scheme://host[:port] with no path or trailing slash (did you mean ${url.origin}?)`;
  return undefined;
}
