/**
 * A minimal browser stand-in over real HTTP: keeps cookies, follows redirects only within the
 * issuer, and stops at the first redirect that leaves it (the client's redirect URI).
 */
export class BrowserAgent {
  readonly cookies = new Map<string, string>();

  constructor(readonly issuer: string) {}

  private storeCookies(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const absolute = new URL(url, this.issuer).toString();
    const headers = new Headers(init.headers);
    if (absolute.startsWith(this.issuer) && this.cookies.size) headers.set('cookie', this.cookieHeader());
    const response = await fetch(absolute, { ...init, headers, redirect: 'manual' });
    if (absolute.startsWith(this.issuer)) this.storeCookies(response);
    return response;
  }

  /** Follows redirects inside the issuer. Returns the last response and, if it left, where to. */
  async navigate(url: string, init: RequestInit = {}): Promise<{ response: Response; leftTo?: string; url: string }> {
    let current = new URL(url, this.issuer).toString();
    let response = await this.fetch(current, init);
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get('location')!, current).toString();
      if (!location.startsWith(this.issuer)) return { response, leftTo: location, url: current };
      current = location;
      response = await this.fetch(current);
    }
    return { response, url: current };
  }

  /** Submits a form as a browser would (urlencoded POST), then follows redirects. */
  submit(path: string, fields: Record<string, string>) {
    return this.navigate(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`no hidden field ${name} in page`);
  return match[1];
}
