import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { recordAudit } from '../audit/audit.repository.ts';
import { loginWithPassword } from '../auth/password-login.service.ts';
import { canManageCustomerSettings, loadActor } from '../business-id/actor.ts';
import { businessIdRoutes } from '../business-id/business-id.routes.ts';
import { AppError } from '../shared/errors.ts';
import { verifyCsrf } from './csrf.ts';
import { createIbSession, endIbSession, touchIbSession } from './ib-session.ts';
import { field, formError, IB_COOKIE, langOf, LANG_COOKIE, render, requestContext, requireRight, requireSession, type IbDeps } from './ib-pages.ts';
import { completeFirstLoginSetup, completeLoginReset, findLoginReset } from './passwords.service.ts';

const LOGIN_REFUSALS = {
  invalid_credentials: 'login_failed',
  locked: 'user_locked',
  certificate_required: 'certificate_required',
  password_reset_pending: 'password_reset_pending',
  // Only the consent journey refuses it (internet banking runs the setup itself); kept for exhaustiveness.
  setup_required: 'login_failed',
} as const;

/**
 * Internet banking at `/ib/` (issue 5, DESIGN §12): login by ログインID and ログインパスワード through the
 * same `loginWithPassword` as the consent journey, a session cookie of its own, 初回ログイン時の設定, the
 * home menu, お客さま情報（申込・設定）, ログイン・操作履歴, and the ビジネスID管理 screens.
 */
export const internetBankingPlugin: FastifyPluginAsync<IbDeps> = async function internetBankingPlugin(app, deps) {
  const { db, config } = deps;
  const session = requireSession(deps);
  const cookieOptions = { signed: true, httpOnly: true, secure: true, sameSite: 'lax' as const, path: '/' };

  app.addHook('onRequest', async (request, reply) => {
    const q = (request.query as { lang?: unknown } | undefined)?.lang;
    if (q === 'ja' || q === 'en') reply.setCookie(LANG_COOKIE, q, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
  });

  app.get('/ib', async (_request, reply) => reply.redirect('/ib/', 302));

  app.get('/ib/login', async (request, reply) => {
    const expired = (request.query as { expired?: string }).expired === '1';
    const done = (request.query as { reset?: string }).reset === '1';
    return render(request, reply, 'ib/login', { expired, resetDone: done });
  });

  app.post('/ib/login', { preHandler: verifyCsrf }, async (request, reply) => {
    const loginId = field(request.body, 'loginId').trim();
    const password = field(request.body, 'password');
    const result = await loginWithPassword(db, { loginId, password, channel: 'internet_banking', context: requestContext(request) });
    if (!result.ok) {
      const error = new AppError(401, LOGIN_REFUSALS[result.reason]).localized(langOf(request));
      return render(request, reply, 'ib/login', { error, loginId }, 401);
    }
    const token = await createIbSession(db, result.user.id);
    reply.setCookie(IB_COOKIE, token, cookieOptions);
    return reply.redirect(result.user.status === 'setup_required' ? '/ib/setup' : '/ib/', 303);
  });

  app.post('/ib/logout', { preHandler: verifyCsrf }, async (request, reply) => {
    const raw = request.cookies[IB_COOKIE];
    const u = raw ? request.unsignCookie(raw) : undefined;
    if (u?.valid && u.value) {
      const live = await touchIbSession(db, u.value);
      await endIbSession(db, u.value);
      const actor = live ? await loadActor(db, live.userId) : undefined;
      if (actor) {
        await recordAudit(db, { type: 'logout', customerId: actor.customerId, actorUserId: actor.id, actorLoginId: actor.loginId, details: { channel: 'internet_banking' }, context: requestContext(request) });
      }
    }
    reply.clearCookie(IB_COOKIE, { path: '/' });
    return reply.redirect('/ib/login', 303);
  });

  app.get('/ib/', { preHandler: session }, async (request, reply) => {
    const a = request.ibActor!;
    const accounts = await db.selectFrom('accounts').select(['branch_name', 'branch_code', 'account_type_code', 'account_number', 'is_primary', 'balance', 'currency'])
      .where('customer_id', '=', a.customerId).orderBy('is_primary', 'desc').orderBy('account_number').execute();
    // 前回ログイン: the login before this one (users.last_login_at is already this one).
    const previous = await db.selectFrom('audit_events').select('occurred_at')
      .where('actor_user_id', '=', a.id).where('type', '=', 'login.success')
      .orderBy('id', 'desc').offset(1).limit(1).executeTakeFirst();
    return render(request, reply, 'ib/home', { accounts: a.role === 'master' || a.customerKind === 'individual' ? accounts : [], previousLogin: previous?.occurred_at });
  });

  // 初回ログイン時の設定 (seed 003 §4-4): nothing else is reachable until it is done.
  const setupSession = requireSession(deps, { allowSetup: true });
  app.get('/ib/setup', { preHandler: setupSession }, async (request, reply) => render(request, reply, 'ib/setup', { bounds: config.password }));
  app.post('/ib/setup', { preHandler: [verifyCsrf, setupSession] }, async (request, reply) => {
    try {
      await completeFirstLoginSetup(db, {
        userId: request.ibActor!.id, bounds: config.password, context: requestContext(request),
        transactionPassword: field(request.body, 'transactionPassword'), transactionPasswordConfirm: field(request.body, 'transactionPasswordConfirm'),
        newLoginPassword: field(request.body, 'newLoginPassword'), newLoginPasswordConfirm: field(request.body, 'newLoginPasswordConfirm'),
      });
    } catch (err) {
      const e = formError(err, langOf(request));
      return render(request, reply, 'ib/setup', { bounds: config.password, error: e.message }, e.status);
    }
    return render(request, reply, 'ib/setup-done');
  });

  // ログインパスワード再設定 by the user, from the mailed URL (seed 003 §4-4).
  app.get('/ib/password-reset/:token', async (request, reply) => {
    const { token } = request.params as { token: string };
    const live = await findLoginReset(db, token);
    if (!live) return render(request, reply, 'ib/password-reset', { token, invalid: true }, 410);
    return render(request, reply, 'ib/password-reset', { token, bounds: config.password });
  });
  app.post('/ib/password-reset/:token', { preHandler: verifyCsrf }, async (request, reply) => {
    const { token } = request.params as { token: string };
    try {
      await completeLoginReset(db, {
        token, code: field(request.body, 'code'), newPassword: field(request.body, 'newPassword'), newPasswordConfirm: field(request.body, 'newPasswordConfirm'),
        codeKey: deps.codeKey, bounds: config.password, context: requestContext(request),
      });
    } catch (err) {
      const e = formError(err, langOf(request));
      return render(request, reply, 'ib/password-reset', { token, bounds: config.password, error: e.message }, e.status);
    }
    return render(request, reply, 'ib/password-reset-done');
  });

  // ログイン・操作履歴 (issue 5 item 8): the customer's audit events, by user and date (JST).
  app.get('/ib/audit', { preHandler: [session, requireRight((a) => a.rights.auditLogView)] }, async (request, reply) => {
    const a = request.ibActor!;
    const q = request.query as { user?: string; from?: string; to?: string };
    const date = /^\d{4}-\d{2}-\d{2}$/;
    const users = await db.selectFrom('users').select(['id', 'login_id', 'name']).where('customer_id', '=', a.customerId).orderBy('login_id').execute();
    const userId = users.some((u) => u.id === q.user) ? q.user : undefined;
    const from = q.from && date.test(q.from) ? q.from : undefined;
    const to = q.to && date.test(q.to) ? q.to : undefined;
    if ((q.from && !from) || (q.to && !to)) throw new AppError(400, 'invalid_parameter');
    let query = db.selectFrom('audit_events')
      .select(['id', 'occurred_at', 'type', 'outcome', 'actor_login_id', 'actor_user_id', 'subject_user_id', 'details', 'ip'])
      .where('customer_id', '=', a.customerId);
    if (userId) query = query.where((eb) => eb.or([eb('actor_user_id', '=', userId), eb('subject_user_id', '=', userId)]));
    if (from) query = query.where('occurred_at', '>=', sql<Date>`(${from}::date)::timestamp at time zone 'Asia/Tokyo'`);
    if (to) query = query.where('occurred_at', '<', sql<Date>`((${to}::date) + 1)::timestamp at time zone 'Asia/Tokyo'`);
    const events = await query.orderBy('id', 'desc').limit(200).execute();
    const names = new Map(users.map((u) => [u.id, `${u.name}（${u.login_id}）`]));
    return render(request, reply, 'ib/audit', { events, users, names, filter: { user: userId ?? '', from: from ?? '', to: to ?? '' } });
  });

  // お客さま情報（申込・設定）: ビジネスID管理 申込 / 解約 (seed 003 §2).
  app.get('/ib/settings', { preHandler: [session, requireRight(canManageCustomerSettings)] }, async (request, reply) => render(request, reply, 'ib/settings'));
  app.get('/ib/settings/business-id/apply', { preHandler: [session, requireRight(canManageCustomerSettings)] }, async (request, reply) =>
    render(request, reply, 'ib/business-id-apply'));

  await app.register(businessIdRoutes, deps);
};
