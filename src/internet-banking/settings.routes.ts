import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { canManageCustomerSettings, canManageSecuritySettings, canSeeCustomerSettings } from '../business-id/actor.ts';
import { MAX_GROUPS_PER_CUSTOMER } from '../business-id/groups.service.ts';
import { MAX_USERS_PER_CUSTOMER } from '../business-id/users.service.ts';
import { defineTexts, translate } from '../shared/i18n.ts';
import { pendingInput } from './business-id/business-id.pages.ts';
import { langOf, render, requireRight, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { LangQuery } from './ib.schemas.ts';

/** お客さま情報（申込・設定） (seed 003 §2); the Japanese names and states are the seed's. */
const SETTINGS_TEXTS = defineTexts({
  title: { ja: 'お客さま情報（申込・設定）', en: 'Customer information (applications and settings)' },
  businessId: { ja: 'ビジネスID管理', en: 'Business ID management' },
  certificate: { ja: '電子証明書', en: 'Client certificates' },
  active: { ja: '利用中', en: 'in use' },
  none: { ja: '未申込', en: 'not applied for' },
  apply: { ja: '申込', en: 'Apply' },
  cancel: { ja: '解約', en: 'Cancel the service' },
  cancelOrder: {
    ja: '電子証明書を利用中の場合、電子証明書を解約後、ビジネスID管理の解約となります。',
    en: 'While the certificate service is active, cancel it before cancelling business ID management.',
  },
});

/** ビジネスID管理 申込: the terms state the limits the services enforce. */
const BUSINESS_ID_APPLY_TEXTS = defineTexts({
  title: { ja: 'ビジネスID管理 申込', en: 'Apply for business ID management' },
  intro: { ja: '下記規定をよくお読みいただき、同意のうえお申込みください。', en: 'Read the terms below and apply if you agree.' },
  certificateLater: { ja: '電子証明書のご利用については、お申込み後でも変更可能です', en: 'You can change the certificate choice later.' },
  termsTitle: { ja: 'ビジネスID管理利用規定', en: 'Terms of business ID management (Japanese, binding)' },
  // The terms are a legal text: Japanese in both languages.
  terms: {
    ja: `ビジネスID管理を利用すると、取引責任者とは別に最大${MAX_USERS_PER_CUSTOMER}名のユーザーと最大${MAX_GROUPS_PER_CUSTOMER}個のグループを登録し、グループごとに権限を設定できます。`,
    en: `ビジネスID管理を利用すると、取引責任者とは別に最大${MAX_USERS_PER_CUSTOMER}名のユーザーと最大${MAX_GROUPS_PER_CUSTOMER}個のグループを登録し、グループごとに権限を設定できます。`,
  },
  certificateLegend: { ja: '電子証明書の利用', en: 'Client certificates' },
  useCertificate: { ja: '利用します', en: 'Use them' },
  noCertificate: { ja: '利用しません', en: 'Do not use them' },
  agree: { ja: '上記規定に同意します', en: 'I agree to the terms' },
  back: { ja: '戻る', en: 'Back' },
  submit: { ja: '上記規定に同意して進む', en: 'Agree to the terms and continue' },
});

/**
 * The お客さま情報（申込・設定） screens, for those with 重要権限. Their forms (申込, 解約) propose
 * ビジネスID管理 changes and are handled with the other changes (business-id/).
 */
export const settingsScreens: FastifyPluginAsyncTypebox<IbScreenOptions> = async function settingsScreens(app, deps) {
  const preHandler = [requireSession(deps), requireRight(canManageCustomerSettings)];
  const schema = { querystring: Type.Object(LangQuery) };

  // Seed 003 §3-1: ビジネスID管理 申込・解約 need 重要権限, 電子証明書 解約 セキュリティ関連設定; each sees its part.
  app.get('/ib/settings', { schema, preHandler: [requireSession(deps), requireRight(canSeeCustomerSettings)] }, async function showSettings(request, reply) {
    const actor = request.ibActor!;
    return render(request, reply, 'ib/settings', {
      t: translate(SETTINGS_TEXTS, langOf(request)),
      may: { businessId: canManageCustomerSettings(actor), certificate: canManageSecuritySettings(actor) },
    });
  });

  // 戻る from the confirmation comes back with `from`: the form shows the choice made.
  const applySchema = { querystring: Type.Object({ ...LangQuery, from: Type.Optional(Type.String({ format: 'uuid' })) }) };
  app.get('/ib/settings/business-id/apply', { schema: applySchema, preHandler }, async function showBusinessIdApply(request, reply) {
    const earlier = await pendingInput(deps.db, request, 'business_id.apply', request.query.from);
    return render(request, reply, 'ib/business-id-apply', {
      t: translate(BUSINESS_ID_APPLY_TEXTS, langOf(request)), certificate: earlier?.payload.certificate ?? false,
    });
  });
};
