import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import type { Mailer } from '../mail/mailer.ts';
import { canManageBusinessId, canManageCustomerSettings, loadActor, type Actor } from '../business-id/actor.ts';
import type { RequestContext } from '../audit/audit.repository.ts';
import { AppError, type Lang } from '../shared/errors.ts';
import { pickLang } from '../shared/lang.ts';
import { csrfToken } from './csrf.ts';
import { touchIbSession } from './ib-session.ts';

export const IB_COOKIE = 'renkei_ib';
export const LANG_COOKIE = 'renkei_lang';

export interface IbDeps {
  db: Kysely<Database>;
  config: Readonly<Config>;
  mailer: Mailer;
  /** HMAC key for メールトークン and 認証番号, derived from KEY_ENCRYPTION_KEY. */
  codeKey: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    ibActor?: Actor;
  }
}

export function langOf(request: FastifyRequest): Lang {
  const q = (request.query as { lang?: unknown } | undefined)?.lang;
  return pickLang(request.headers, typeof q === 'string' ? q : request.cookies[LANG_COOKIE]);
}

export function requestContext(request: FastifyRequest): RequestContext {
  return { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id };
}

/** Everything a page needs besides its own data: language, CSRF token, the menu of what the actor may use. */
export async function render(request: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown> = {}, status = 200) {
  const lang = langOf(request);
  const actor = request.ibActor;
  const menu = actor && actor.status === 'active'
    ? {
        businessId: canManageBusinessId(actor),
        settings: canManageCustomerSettings(actor),
        audit: actor.customerKind === 'corporate' ? actor.rights.auditLogView : true,
      }
    : undefined;
  const html = await reply.viewAsync(template, {
    lang, t: (ja: string, en: string) => (lang === 'en' ? en : ja), csrf: csrfToken(request, reply), actor, menu,
    path: request.url.split('?')[0], ...data,
  });
  reply.header('cache-control', 'no-store');
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/**
 * preHandler: a live session whose user is still allowed in. Without one a browser is sent to the login
 * screen (GET) or told its session ended (POST). `setup_required` users reach only 初回ログイン時の設定.
 */
export function requireSession(deps: IbDeps, opts: { allowSetup?: boolean } = {}) {
  return async function ibSession(request: FastifyRequest, reply: FastifyReply) {
    const raw = request.cookies[IB_COOKIE];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    const session = unsigned?.valid ? await touchIbSession(deps.db, unsigned.value ?? undefined) : undefined;
    const actor = session ? await loadActor(deps.db, session.userId) : undefined;
    if (!actor || actor.status === 'locked' || actor.status === 'reset_pending') {
      reply.clearCookie(IB_COOKIE, { path: '/' });
      if (request.method === 'GET') return reply.redirect('/ib/login?expired=1', 303);
      throw new AppError(401, 'session_expired');
    }
    request.ibActor = actor;
    if (actor.status === 'setup_required' && !opts.allowSetup) return reply.redirect('/ib/setup', 303);
    if (actor.status !== 'setup_required' && opts.allowSetup) return reply.redirect('/ib/', 303);
    return undefined;
  };
}

export function requireRight(check: (a: Actor) => boolean) {
  return async function ibRight(request: FastifyRequest) {
    if (!request.ibActor || !check(request.ibActor)) throw new AppError(403, 'forbidden');
  };
}

/** A form field as one string: absent → '', repeated → the first; never an object. */
export function field(body: unknown, key: string): string {
  const v = (body as Record<string, unknown> | undefined)?.[key];
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === 'string' ? one : '';
}

/** A repeated form field (checkboxes) as strings. */
export function fields(body: unknown, key: string): string[] {
  const v = (body as Record<string, unknown> | undefined)?.[key];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.filter((x): x is string => typeof x === 'string');
}

/** The message to show on a form for an expected refusal; rethrows anything else (root handler). */
export function formError(err: unknown, lang: Lang): { status: number; message: string } {
  if (err instanceof AppError && err.status < 500) return { status: err.status, message: err.localized(lang) };
  throw err;
}
