import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * A browser-like client over `app.inject`: keeps cookies, fills the CSRF field from the last page, and
 * sends forms as application/x-www-form-urlencoded.
 */
export class IbClient {
  readonly app: FastifyInstance;
  cookies = new Map<string, string>();
  lastHtml = '';

  constructor(app: FastifyInstance) {
    this.app = app;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: LightMyRequestResponse): void {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    if (String(res.headers['content-type'] ?? '').startsWith('text/html')) {
      this.lastHtml = res.body;
      const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
      if (m) this.lastCsrf = m[1]!;
    }
  }

  private lastCsrf = '';

  /** The form token of the last page that had a form (error pages have none, as in a browser's back button). */
  csrf(): string {
    return this.lastCsrf;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: { accept: 'text/html', cookie: this.cookieHeader(), ...headers } });
    this.keep(res);
    return res;
  }

  /** Posts a form; `_csrf` is taken from the last HTML page unless given. Arrays become repeated fields. */
  async post(url: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    if (!('_csrf' in form)) body.append('_csrf', this.csrf());
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const res = await this.app.inject({
      method: 'POST', url, payload: body.toString(),
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), ...headers },
    });
    this.keep(res);
    return res;
  }

  async login(loginId: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/ib/login');
    return this.post('/ib/login', { loginId, password });
  }
}

/** The text of the page without tags, for assertions on what a user sees. */
export function visibleText(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}
