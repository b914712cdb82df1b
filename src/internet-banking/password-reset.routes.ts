import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { completeLoginReset, findLoginReset, loginResetExhausted, RESET_CODE_TTL_MINUTES, RESET_EXHAUSTED_MESSAGE } from '../auth/passwords.service.ts';
import { defineTexts, translate } from '../shared/i18n.ts';
import { loginThrottle } from '../shared/login-throttle.ts';
import { formError, inputRefusal, langOf, render, requestContext, stringField, type IbScreenOptions } from './ib-pages.ts';
import { CsrfField, FormText, LangQuery } from './ib.schemas.ts';
import { passwordRulesData } from './ib.texts.ts';

/** ログインパスワード再設定 (seed 003 §4-4); the Japanese labels are the seed's. */
const PASSWORD_RESET_TEXTS = defineTexts({
  title: { ja: 'ログインパスワード再設定', en: 'Reset your login password' },
  invalid: {
    ja: `このURLは無効か、有効期限（${RESET_CODE_TTL_MINUTES}分）が切れています。管理者に再設定を依頼してください。`,
    en: `This URL is invalid or has expired (${RESET_CODE_TTL_MINUTES} minutes). Ask your administrator for a new reset.`,
  },
  exhausted: RESET_EXHAUSTED_MESSAGE,
  intro: {
    ja: 'ご登録のメールアドレスにお送りしたメールに記載された【認証番号】をご入力の上、任意のログインパスワードを設定してください。',
    en: 'Enter the verification code (認証番号) from the mail we sent you and choose a new login password.',
  },
  code: { ja: '認証番号', en: 'Verification code (認証番号)' },
  newPassword: { ja: '新しいログインパスワード', en: 'New login password' },
  newPasswordConfirm: { ja: '新しいログインパスワード（確認用）', en: 'New login password (again)' },
  required: { ja: '必須', en: 'required' },
  submit: { ja: '設定', en: 'Set' },
  done: {
    ja: 'ログインパスワードの再設定が完了しました。ログイン画面より、再設定いただいたパスワードでログインしてください。',
    en: 'Your login password has been reset. Log in with the new password.',
  },
  toLogin: { ja: 'ログイン画面へ', en: 'To the login screen' },
});

/** The token of the mailed URL; any other shape simply names no reset (410), like an unknown one. */
const ResetParams = Type.Object({ token: Type.String({ maxLength: 100 }) });
const ResetBody = Type.Object({ ...CsrfField, code: FormText(32), newPassword: FormText(1024), newPasswordConfirm: FormText(1024) });

/**
 * ログインパスワード再設定 by the user, from the mailed URL plus its 認証番号. Attempts are throttled per
 * address and per URL, on top of the 認証番号's own attempt limit.
 */
export const passwordResetScreens: FastifyPluginAsyncTypebox<IbScreenOptions> = async function passwordResetScreens(app, deps) {
  const { db, config, verifyForm } = deps;
  const throttle = loginThrottle(app, config.loginThrottle, (request) => stringField(request.params, 'token'));

  function resetPage(request: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>, status = 200) {
    const lang = langOf(request);
    return render(request, reply, 'ib/password-reset', { t: translate(PASSWORD_RESET_TEXTS, lang), ...passwordRulesData(lang, config.password), ...data }, status);
  }

  app.get('/ib/password-reset/:token', {
    schema: { params: ResetParams, querystring: Type.Object(LangQuery) }, attachValidation: true,
  }, async function showReset(request, reply) {
    const live = request.validationError ? undefined : await findLoginReset(db, request.params.token);
    if (!live) return resetPage(request, reply, { invalid: true, exhausted: !request.validationError && (await loginResetExhausted(db, request.params.token)) }, 410);
    return resetPage(request, reply, { token: request.params.token });
  });

  app.post('/ib/password-reset/:token', {
    schema: { params: ResetParams, body: ResetBody, querystring: Type.Object(LangQuery) }, attachValidation: true,
    preHandler: [verifyForm, throttle],
  }, async function completeReset(request, reply) {
    const lang = langOf(request);
    const error = request.validationError;
    if (error?.validationContext === 'params') return resetPage(request, reply, { invalid: true }, 410);
    const { token } = request.params;
    if (error) return resetPage(request, reply, { token, error: inputRefusal(error, PASSWORD_RESET_TEXTS).localized(lang) }, 400);
    try {
      await completeLoginReset(db, {
        token, code: request.body.code, newPassword: request.body.newPassword, newPasswordConfirm: request.body.newPasswordConfirm,
        codeKey: deps.codeKey, bounds: config.password, context: requestContext(request),
      });
    } catch (err) {
      const e = formError(err, lang);
      // Tries used up: the form is of no more use, so the page says why instead of offering it again.
      if (await loginResetExhausted(db, token)) return resetPage(request, reply, { invalid: true, exhausted: true }, 410);
      return resetPage(request, reply, { token, error: e.message }, e.status);
    }
    return render(request, reply, 'ib/password-reset-done', { t: translate(PASSWORD_RESET_TEXTS, lang) });
  });
};
