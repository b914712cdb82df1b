import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { completeFirstLoginSetup } from '../auth/passwords.service.ts';
import { defineTexts, translate } from '../shared/i18n.ts';
import { formError, inputRefusal, langOf, render, requestContext, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { CsrfField, FormText, LangQuery } from './ib.schemas.ts';
import { passwordRulesData } from './ib.texts.ts';

/** 初回ログイン時の設定 (seed 003 §4-4); the labels are the seed's, in both languages. */
const SETUP_TEXTS = defineTexts({
  title: { ja: '初回ログイン時の設定', en: '初回ログイン時の設定' },
  intro: { ja: '以下のパスワードを設定してください。', en: 'Set the passwords below.' },
  transactionLegend: { ja: '取引パスワード設定', en: '取引パスワード設定' },
  loginLegend: { ja: 'ログインパスワード変更', en: 'ログインパスワード変更' },
  required: { ja: '必須', en: '必須' },
  optional: { ja: '任意', en: '任意' },
  transactionPassword: { ja: '取引パスワード', en: '取引パスワード' },
  transactionPasswordConfirm: { ja: '取引パスワード（確認用）', en: '取引パスワード（確認用）' },
  newLoginPassword: { ja: '新しいログインパスワード', en: '新しいログインパスワード' },
  newLoginPasswordConfirm: { ja: '新しいログインパスワード（確認用）', en: '新しいログインパスワード（確認用）' },
  submit: { ja: '設定', en: '設定' },
  doneTitle: { ja: '初回ログイン時の設定 完了', en: '初回ログイン時の設定 完了' },
  done: { ja: '初回ログイン時の設定が完了しました。', en: 'Your first-login setup is complete.' },
  close: { ja: '閉じる', en: 'Close' },
});

const SetupBody = Type.Object({
  ...CsrfField,
  transactionPassword: FormText(1024),
  transactionPasswordConfirm: FormText(1024),
  // 任意: absent or empty means "keep the current login password".
  newLoginPassword: Type.Optional(FormText(1024)),
  newLoginPasswordConfirm: Type.Optional(FormText(1024)),
});

/**
 * 初回ログイン時の設定: the 取引パスワード (必須) and optionally a new login password. Nothing else is
 * reachable until it is done, and it closes once done (requireSession's `allowSetup`).
 */
export const setupScreens: FastifyPluginAsyncTypebox<IbScreenOptions> = async function setupScreens(app, deps) {
  const { db, config, verifyForm } = deps;
  const setupSession = requireSession(deps, { allowSetup: true });

  function setupPage(request: FastifyRequest, reply: FastifyReply, data: Record<string, unknown> = {}, status = 200) {
    const lang = langOf(request);
    return render(request, reply, 'ib/setup', { t: translate(SETUP_TEXTS, lang), ...passwordRulesData(lang, config.password), ...data }, status);
  }

  app.get('/ib/setup', { schema: { querystring: Type.Object(LangQuery) }, preHandler: setupSession }, async function showSetup(request, reply) {
    return setupPage(request, reply);
  });

  app.post('/ib/setup', {
    schema: { body: SetupBody, querystring: Type.Object(LangQuery) }, attachValidation: true, preHandler: [verifyForm, setupSession],
  }, async function completeSetup(request, reply) {
    const lang = langOf(request);
    if (request.validationError) return setupPage(request, reply, { error: inputRefusal(request.validationError, SETUP_TEXTS).localized(lang) }, 400);
    const form = request.body;
    try {
      await completeFirstLoginSetup(db, {
        userId: request.ibActor!.id, bounds: config.password, context: requestContext(request),
        transactionPassword: form.transactionPassword, transactionPasswordConfirm: form.transactionPasswordConfirm,
        newLoginPassword: form.newLoginPassword ?? '', newLoginPasswordConfirm: form.newLoginPasswordConfirm ?? '',
      });
    } catch (err) {
      const e = formError(err, lang);
      return setupPage(request, reply, { error: e.message }, e.status);
    }
    return render(request, reply, 'ib/setup-done', { t: translate(SETUP_TEXTS, lang) });
  });
};
