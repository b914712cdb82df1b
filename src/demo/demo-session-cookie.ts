import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DemoSession, DemoSessions } from './demo-sessions.ts';

/** Everything of the demo lives under this path: its pages and its cookies. */
export const DEMO_PATH = '/demo';
const SESSION_COOKIE = 'kakeibo_session';
const COOKIE_OPTS = { signed: true, httpOnly: true, secure: true, sameSite: 'lax' as const, path: DEMO_PATH };

/**
 * The browser's demo session: found once per request from the signed cookie (the CSRF check and the
 * handler ask for it in turn), and known from the moment a page starts one, so a form rendered by that
 * very page is bound to it.
 */
export class DemoSessionCookie {
  private readonly found = new WeakMap<FastifyRequest, DemoSession | null>();
  private readonly sessions: DemoSessions;

  constructor(sessions: DemoSessions) {
    this.sessions = sessions;
  }

  current(request: FastifyRequest): DemoSession | undefined {
    let s = this.found.get(request);
    if (s === undefined) {
      s = this.fromCookie(request) ?? null;
      this.found.set(request, s);
    }
    return s ?? undefined;
  }

  /** The current session, or a new one with its cookie set. */
  currentOrStart(request: FastifyRequest, reply: FastifyReply): DemoSession {
    const existing = this.current(request);
    if (existing) return existing;
    const s = this.sessions.create();
    reply.setCookie(SESSION_COOKIE, s.id, COOKIE_OPTS);
    this.found.set(request, s);
    return s;
  }

  end(request: FastifyRequest, reply: FastifyReply, s: DemoSession): void {
    this.sessions.delete(s.id);
    this.found.set(request, null);
    reply.clearCookie(SESSION_COOKIE, { path: DEMO_PATH });
  }

  private fromCookie(request: FastifyRequest): DemoSession | undefined {
    const raw = request.cookies[SESSION_COOKIE];
    if (!raw) return undefined;
    const u = request.unsignCookie(raw);
    return u.valid && u.value ? this.sessions.get(u.value) : undefined;
  }
}
