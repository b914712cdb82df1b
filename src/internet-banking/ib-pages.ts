import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import type { Mailer } from '../mail/mailer.ts';
import { canManageBusinessId, canSeeCustomerSettings, loadActor, type Actor } from '../business-id/actor.ts';
import type { RequestContext } from '../audit/audit.repository.ts';
import { endedSessionReason, touchIbSession } from '../auth/ib-sessions.repository.ts';
import { AppError } from '../shared/errors.ts';
import { jstParts } from '../shared/jst.ts';
import { LANG_COOKIE, pickLang, translate, type Lang, type Text } from '../shared/i18n.ts';
import { FORM_TEXTS, IB_LAYOUT_TEXTS, SESSION_TEXTS } from './ib.texts.ts';

export const IB_COOKIE = 'renkei_ib';

export interface IbDeps {
  db: Kysely<Database>;
  config: Readonly<Config>;
  mailer: Mailer;
  /** HMAC key for メールトークン and 認証番号, derived from KEY_ENCRYPTION_KEY. */
  codeKey: Buffer;
  /** The app's cookie keys, newest first: the CSRF mechanism derives its key from the first. */
  cookieKeys: string[];
}

/** What every screen plugin of the surface receives: the dependencies and the CSRF preHandler for its POSTs. */
export interface IbScreenOptions extends IbDeps {
  verifyForm: preHandlerHookHandler;
}

declare module 'fastify' {
  interface FastifyRequest {
    ibActor?: Actor;
  }
}

/** `?lang=ja|en` when the query names one (read before validation, so it narrows instead of trusting a schema). */
export function queryLang(query: unknown): Lang | undefined {
  if (typeof query !== 'object' || query === null || !('lang' in query)) return undefined;
  return query.lang === 'ja' || query.lang === 'en' ? query.lang : undefined;
}

/** A string member of a parsed body or params, for code that runs whether or not the schema accepted them. */
export function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v: unknown = Reflect.get(value, key);
  return typeof v === 'string' ? v : undefined;
}

/** An instant as the screens show it, in Japan time: 2026/11/20 09:07:05. */
export function jstDateTime(at: Date): string {
  const p = jstParts(at);
  return `${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

export function langOf(request: FastifyRequest): Lang {
  return pickLang(request.headers, queryLang(request.query) ?? request.cookies[LANG_COOKIE]);
}

export function requestContext(request: FastifyRequest): RequestContext {
  return { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id };
}

/**
 * Everything a page needs besides its own data: language, the layout's texts, the form token, the menu
 * of what the actor may use. Each screen passes its own translated catalog as `t`.
 */
export async function render(request: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown> = {}, status = 200) {
  const lang = langOf(request);
  const actor = request.ibActor;
  const menu = actor && actor.status === 'active'
    ? {
        businessId: canManageBusinessId(actor),
        settings: canSeeCustomerSettings(actor),
        audit: actor.customerKind === 'corporate' ? actor.rights.auditLogView : true,
        // Every user sees their own API links (DESIGN §15).
        links: true,
        // Everyone sees their own transfer applications; approvers also others' (DESIGN §17).
        approvals: true,
      }
    : undefined;
  const html = await reply.viewAsync(template, {
    lang, layout: translate(IB_LAYOUT_TEXTS, lang), csrf: reply.formToken(), actor, menu,
    path: request.url.split('?')[0], ...data,
  });
  reply.header('cache-control', 'no-store');
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** The session token in the signed `renkei_ib` cookie, when the signature holds. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const raw = request.cookies[IB_COOKIE];
  const unsigned = raw ? request.unsignCookie(raw) : undefined;
  return unsigned?.valid && unsigned.value ? unsigned.value : undefined;
}

/**
 * preHandler: a live session whose user is still allowed in. Without one a browser is sent to the login
 * screen (GET) or told its session ended (POST). `setup_required` users reach only 初回ログイン時の設定.
 */
export function requireSession(deps: Pick<IbDeps, 'db'>, opts: { allowSetup?: boolean } = {}) {
  return async function ibSession(request: FastifyRequest, reply: FastifyReply) {
    const session = await touchIbSession(deps.db, sessionToken(request));
    const actor = session ? await loadActor(deps.db, session.userId) : undefined;
    if (!actor || actor.status === 'locked' || actor.status === 'reset_pending') {
      const replaced = !session && (await endedSessionReason(deps.db, sessionToken(request))) === 'replaced';
      reply.clearCookie(IB_COOKIE, { path: '/' });
      if (request.method === 'GET') return reply.redirect(`/ib/login?expired=${replaced ? 'replaced' : '1'}`, 303);
      throw new AppError(401, 'session_expired', replaced ? { message: SESSION_TEXTS.replaced } : undefined);
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

/**
 * The refusal of a form the schema did not accept (route option `attachValidation`), naming the first
 * field at fault by its label on the screen, so the page can be shown again with the message.
 */
export function inputRefusal(error: FastifyRequest['validationError'], labels: Record<string, Text> = {}): AppError {
  const first = error?.validation[0];
  const missing = first?.params['missingProperty'];
  const name = first?.instancePath.split('/')[1] || (typeof missing === 'string' ? missing : '');
  const label = labels[name];
  return new AppError(400, 'invalid_parameter', {
    message: label ? FORM_TEXTS.invalidField(label) : FORM_TEXTS.invalidForm,
    detail: { field: name, keyword: first?.keyword },
  });
}

/** The message to show on a form for an expected refusal; rethrows anything else (root handler). */
export function formError(err: unknown, lang: Lang): { status: number; message: string } {
  if (err instanceof AppError && err.status < 500) return { status: err.status, message: err.localized(lang) };
  throw err;
}
