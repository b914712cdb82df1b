import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { completeFirstLoginSetup } from '../auth/passwords.service.ts';
import { completeTransactionPasswordReset, setupPurpose, type SetupPurpose } from '../auth/setup-purpose.ts';
import { defineTexts, translate } from '../shared/i18n.ts';
import { formError, inputRefusal, langOf, render, requestContext, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { CsrfField, FormText, LangQuery } from './ib.schemas.ts';
import { passwordRulesData } from './ib.texts.ts';

/** 初回ログイン時の設定 (seed 003 §4-4) and 取引パスワードの再設定 (§4-5); the Japanese labels are the seed's. */
const SETUP_TEXTS = defineTexts({
  title: { ja: '初回ログイン時の設定', en: 'First-login setup' },
  intro: { ja: '以下のパスワードを設定してください。', en: 'Set the passwords below.' },
  transactionLegend: { ja: '取引パスワード設定', en: 'Transaction password' },
  loginLegend: { ja: 'ログインパスワード変更', en: 'Change the login password' },
  required: { ja: '必須', en: 'required' },
  optional: { ja: '任意', en: 'optional' },
  transactionPassword: { ja: '取引パスワード', en: 'Transaction password' },
  transactionPasswordConfirm: { ja: '取引パスワード（確認用）', en: 'Transaction password (again)' },
  newLoginPassword: { ja: '新しいログインパスワード', en: 'New login password' },
  newLoginPasswordConfirm: { ja: '新しいログインパスワード（確認用）', en: 'New login password (again)' },
  submit: { ja: '設定', en: 'Set' },
  doneTitle: { ja: '初回ログイン時の設定 完了', en: 'First-login setup complete' },
  done: { ja: '初回ログイン時の設定が完了しました。', en: 'Your first-login setup is complete.' },
  close: { ja: '閉じる', en: 'Close' },
});

const TRANSACTION_RESET_TEXTS = defineTexts({
  title: { ja: '取引パスワードの再設定', en: 'Set your transaction password again' },
  intro: { ja: '新しく任意の取引パスワードを設定してください。', en: 'Choose a new transaction password.' },
  transactionPassword: { ja: '新しい取引パスワード', en: 'New transaction password' },
  transactionPasswordConfirm: { ja: '新しい取引パスワード（確認用）', en: 'New transaction password (again)' },
  required: { ja: '必須', en: 'required' },
  submit: { ja: '設定', en: 'Set' },
  doneTitle: { ja: '取引パスワードの再設定 完了', en: 'Transaction password set' },
  done: { ja: '取引パスワードの設定が完了しました。', en: 'Your transaction password is set.' },
  close: { ja: '閉じる', en: 'Close' },
});

const SetupBody = Type.Object({
  ...CsrfField,
  transactionPassword: FormText(1024),
  transactionPasswordConfirm: FormText(1024),
  // 任意: absent or empty means "keep the current login password". Ignored for a 取引パスワード reset.
  newLoginPassword: Type.Optional(FormText(1024)),
  newLoginPasswordConfirm: Type.Optional(FormText(1024)),
});

const SCREENS = {
  first_login: { form: 'ib/setup', done: 'ib/setup-done', texts: SETUP_TEXTS },
  transaction_password_reset: { form: 'ib/transaction-password-reset', done: 'ib/setup-done', texts: TRANSACTION_RESET_TEXTS },
} as const satisfies Record<SetupPurpose, unknown>;

/**
 * What a `setup_required` user must do first, at `/ib/setup`: 初回ログイン時の設定 (the 取引パスワード,
 * optionally a new login password) or, after an administrator reset only the 取引パスワード, 取引パスワードの
 * 再設定. The server decides which from the user's record, never the form. Nothing else is reachable until
 * it is done, and it closes once done (requireSession's `allowSetup`).
 */
export const setupScreens: FastifyPluginAsyncTypebox<IbScreenOptions> = async function setupScreens(app, deps) {
  const { db, config, verifyForm } = deps;
  const setupSession = requireSession(deps, { allowSetup: true });

  async function setupPage(request: FastifyRequest, reply: FastifyReply, purpose: SetupPurpose, data: Record<string, unknown> = {}, status = 200) {
    const lang = langOf(request);
    const screen = SCREENS[purpose];
    return render(request, reply, screen.form, { t: translate(screen.texts, lang), ...passwordRulesData(lang, config.password), ...data }, status);
  }

  app.get('/ib/setup', { schema: { querystring: Type.Object(LangQuery) }, preHandler: setupSession }, async function showSetup(request, reply) {
    return setupPage(request, reply, await setupPurpose(db, request.ibActor!.id));
  });

  app.post('/ib/setup', {
    schema: { body: SetupBody, querystring: Type.Object(LangQuery) }, attachValidation: true, preHandler: [verifyForm, setupSession],
  }, async function completeSetup(request, reply) {
    const lang = langOf(request);
    const userId = request.ibActor!.id;
    const purpose = await setupPurpose(db, userId);
    if (request.validationError) {
      return setupPage(request, reply, purpose, { error: inputRefusal(request.validationError, SCREENS[purpose].texts).localized(lang) }, 400);
    }
    const form = request.body;
    const common = { userId, bounds: config.password, context: requestContext(request), transactionPassword: form.transactionPassword, transactionPasswordConfirm: form.transactionPasswordConfirm };
    try {
      if (purpose === 'transaction_password_reset') await completeTransactionPasswordReset(db, common);
      else await completeFirstLoginSetup(db, { ...common, newLoginPassword: form.newLoginPassword ?? '', newLoginPasswordConfirm: form.newLoginPasswordConfirm ?? '' });
    } catch (err) {
      const e = formError(err, lang);
      return setupPage(request, reply, purpose, { error: e.message }, e.status);
    }
    return render(request, reply, SCREENS[purpose].done, { t: translate(SCREENS[purpose].texts, lang) });
  });
};
