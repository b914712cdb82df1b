import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createIbSession } from '../auth/ib-sessions.repository.ts';
import { logOutOfInternetBanking } from '../auth/ib-logout.service.ts';
import { loginWithPassword } from '../auth/password-login.service.ts';
import { AppError } from '../shared/errors.ts';
import { defineTexts, translate } from '../shared/i18n.ts';
import { loginThrottle } from '../shared/login-throttle.ts';
import {
  IB_COOKIE, inputRefusal, langOf, render, requestContext, sessionToken, stringField, type IbScreenOptions,
} from './ib-pages.ts';
import { CsrfField, FormText, LangQuery } from './ib.schemas.ts';
import { SESSION_TEXTS } from './ib.texts.ts';

const LOGIN_TEXTS = defineTexts({
  title: { ja: 'ログイン', en: 'ログイン' },
  heading: { ja: 'インターネットバンキング ログイン', en: 'Internet banking login' },
  expired: { ja: 'ログインの有効期限が切れました。もう一度ログインしてください。', en: 'Your session has ended. Please log in again.' },
  resetDone: { ja: '再設定いただいたパスワードでログインしてください。', en: 'Log in with your new password.' },
  // DESIGN §12: the form's labels are the seed's, in both languages.
  loginId: { ja: 'ログインID', en: 'ログインID' },
  password: { ja: 'ログインパスワード', en: 'ログインパスワード' },
  submit: { ja: 'ログイン', en: 'ログイン' },
  certificateHeading: { ja: '電子証明書方式のお客さま', en: 'Customers using a client certificate' },
  certificateButton: { ja: '電子証明書ログイン', en: '電子証明書ログイン' },
});

const LOGIN_REFUSALS = {
  invalid_credentials: 'login_failed',
  locked: 'user_locked',
  certificate_required: 'certificate_required',
  password_reset_pending: 'password_reset_pending',
  // Only the consent journey refuses it (internet banking runs the setup itself); kept for exhaustiveness.
  setup_required: 'login_failed',
} as const;

const LoginQuery = Type.Object({
  ...LangQuery,
  expired: Type.Optional(Type.String({ maxLength: 16 })),
  reset: Type.Optional(Type.String({ maxLength: 16 })),
});

const LoginBody = Type.Object({ ...CsrfField, loginId: FormText(64), password: FormText(1024) });

export const SESSION_COOKIE = { signed: true, httpOnly: true, secure: true, sameSite: 'lax' as const, path: '/' };

function loginPage(request: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>, status = 200) {
  // 電子証明書ログイン continues on the mutual-TLS origin (DESIGN §14), by way of certificate-login.routes.ts.
  const certificateLoginUrl = '/ib/certificate-login/start';
  return render(request, reply, 'ib/login', { t: translate(LOGIN_TEXTS, langOf(request)), certificateLoginUrl, ...data }, status);
}

/**
 * ログイン and ログアウト: ログインID and ログインパスワード through the same `loginWithPassword` as the
 * consent journey, then a session cookie of the surface's own. Attempts are throttled per address and
 * per login ID (each costs an argon2 hash).
 */
export const loginScreens: FastifyPluginAsyncTypebox<IbScreenOptions> = async function loginScreens(app, deps) {
  const { db, config, verifyForm } = deps;
  const throttle = loginThrottle(app, config.loginThrottle, (request) => stringField(request.body, 'loginId'));

  app.get('/ib', { schema: { querystring: Type.Object(LangQuery) } }, async function toHome(_request, reply) {
    return reply.redirect('/ib/', 302);
  });

  app.get('/ib/login', { schema: { querystring: LoginQuery } }, async function showLogin(request, reply) {
    const lang = langOf(request);
    const { expired } = request.query;
    const notice = expired === 'replaced' ? translate(SESSION_TEXTS, lang).replaced : expired === '1' ? translate(LOGIN_TEXTS, lang).expired : undefined;
    return loginPage(request, reply, { notice, resetDone: request.query.reset === '1' });
  });

  app.post('/ib/login', {
    schema: { body: LoginBody, querystring: Type.Object(LangQuery) }, attachValidation: true, preHandler: [verifyForm, throttle],
  }, async function logIn(request, reply) {
    const lang = langOf(request);
    if (request.validationError) {
      const error = inputRefusal(request.validationError, LOGIN_TEXTS).localized(lang);
      return loginPage(request, reply, { error, loginId: '' }, 400);
    }
    const loginId = request.body.loginId.trim();
    const result = await loginWithPassword(db, { loginId, password: request.body.password, channel: 'internet_banking', context: requestContext(request) });
    if (!result.ok) {
      return loginPage(request, reply, { error: new AppError(401, LOGIN_REFUSALS[result.reason]).localized(lang), loginId }, 401);
    }
    reply.setCookie(IB_COOKIE, await createIbSession(db, result.user.id), SESSION_COOKIE);
    return reply.redirect(result.user.status === 'setup_required' ? '/ib/setup' : '/ib/', 303);
  });

  app.post('/ib/logout', {
    schema: { body: Type.Object(CsrfField), querystring: Type.Object(LangQuery) }, preHandler: verifyForm,
  }, async function logOut(request, reply) {
    await logOutOfInternetBanking(db, sessionToken(request), requestContext(request));
    reply.clearCookie(IB_COOKIE, { path: '/' });
    return reply.redirect('/ib/login', 303);
  });
};
