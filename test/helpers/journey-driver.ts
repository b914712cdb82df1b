import type { AuthServer } from './auth-server.ts';

/**
 * A minimal scripted browser for HTTP-level tests of the journey: a cookie jar honouring paths, form
 * posts with the page's CSRF token, and redirects followed on the server's origin only. Stops at the
 * client's redirect URI (returned, never fetched) or at a page.
 */
export class JourneyDriver {
  readonly jar = new Map<string, { value: string; path: string }>();
  html = '';
  url = '';
  status = 0;
  private readonly server: AuthServer;

  constructor(server: AuthServer) {
    this.server = server;
  }

  private cookieHeader(url: URL): string {
    return [...this.jar.entries()].filter(([, c]) => url.pathname.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
  }

  private store(setCookies: string[]) {
    for (const sc of setCookies) {
      const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^max-age=0$/i.test(a) || /^expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, { value, path });
    }
  }

  /** One request; cookies in and out. */
  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string | string[]>) {
    const u = new URL(url, this.server.issuer);
    const body = form ? new URLSearchParams(Object.entries(form).flatMap(([k, v]) => [v].flat().map((x): [string, string] => [k, x]))) : undefined;
    const res = await this.server.fetch(u, {
      method, redirect: 'manual', body,
      headers: { cookie: this.cookieHeader(u), accept: 'text/html', 'accept-language': 'ja', ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    this.store(res.headers.getSetCookie());
    this.status = res.status;
    this.url = u.toString();
    this.html = await res.text();
    return { status: res.status, location: res.headers.get('location'), headers: res.headers };
  }

  /** Follows redirects on the server's origin; returns the final URL when it leaves for the client. */
  async go(method: 'GET' | 'POST', url: string, form?: Record<string, string | string[]>): Promise<URL | undefined> {
    let r = await this.request(method, url, form);
    for (let hops = 0; r.location && hops < 20; hops++) {
      const next = new URL(r.location, this.url);
      if (next.origin !== new URL(this.server.issuer).origin) return next;
      r = await this.request('GET', next.toString());
    }
    return undefined;
  }

  get csrf(): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(this.html);
    if (!m) throw new Error(`no CSRF token on the page:\n${this.html.slice(0, 500)}`);
    return m[1]!;
  }

  get uid(): string {
    const m = /\/interaction\/([A-Za-z0-9_-]+)\//.exec(this.html);
    if (!m) throw new Error('no interaction on the page');
    return m[1]!;
  }

  get title(): string {
    return /<h1>([^<]*)<\/h1>/.exec(this.html)?.[1] ?? '';
  }

  /** Values of the page's radio buttons or checkboxes with this name. */
  values(name: string): string[] {
    return [...this.html.matchAll(new RegExp(`name="${name}" (?:id="[^"]*" )?value="([^"]+)"|id="[^"]*" name="${name}" value="([^"]+)"`, 'g'))].map((m) => m[1] ?? m[2]!);
  }

  /** Values of the page's checkboxes with this name that are ticked. */
  checked(name: string): string[] {
    return [...this.html.matchAll(/<input [^>]*>/g)].map((m) => m[0])
      .filter((tag) => tag.includes(`name="${name}"`) && / checked[ >]/.test(tag))
      .map((tag) => /value="([^"]+)"/.exec(tag)?.[1] ?? '');
  }

  /** Posts a form of the page; like a browser, the step-5 accounts ticked on the page go along unless the form names them. */
  post(path: string, form: Record<string, string | string[]>) {
    const ticked: Record<string, string[]> = path === 'consent' && !('account_id' in form) ? { account_id: this.checked('account_id') } : {};
    return this.go('POST', `/interaction/${this.uid}/${path}`, { _csrf: this.csrf, ...ticked, ...form });
  }
}
