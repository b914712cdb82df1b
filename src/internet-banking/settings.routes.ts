import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { canManageCustomerSettings, canManageSecuritySettings, canSeeCustomerSettings, mayOrderOwnMasterCertificate } from '../business-id/actor.ts';
import { certificateOrderInput, certificateStates } from '../business-id/certificate-orders.ts';
import { MAX_GROUPS_PER_CUSTOMER } from '../business-id/groups.service.ts';
import { listUsers } from '../business-id/users.repository.ts';
import { MAX_USERS_PER_CUSTOMER } from '../business-id/users.service.ts';
import type { Db } from '../db/transaction.ts';
import { RETRIEVAL_PASSWORD_MIN_LENGTH } from '../certificates/orders.ts';
import { AppError } from '../shared/errors.ts';
import { defineTexts, translate } from '../shared/i18n.ts';
import { jstDate } from '../shared/jst.ts';
import { actorOf, pendingInput, propose } from './business-id/business-id.pages.ts';
import { LoginMethodBody, MasterCertificateBody, TokenOnlyBody } from './business-id/business-id.schemas.ts';
import { invalidInput } from './business-id/form-input.ts';
import { formError, langOf, render, requireRight, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { LangQuery } from './ib.schemas.ts';

const SETTINGS_TABS = {
  registration: { ja: '登録情報', en: 'Registration' },
  security: { ja: 'セキュリティ', en: 'Security' },
};

/** A user's certificate as the settings screens state it (certificates/lifecycle.ts certificateStateOfUsers). */
const CERTIFICATE_STATE_TEXTS = {
  stateIssued: (until: string) => ({ ja: `取得済み（有効期限 ${until}）`, en: `Installed (valid until ${until})` }),
  stateOrdered: (until: string) => ({ ja: `取得待ち（取得期限 ${until}）`, en: `Awaiting retrieval (until ${until})` }),
  stateNone: { ja: '未発行', en: 'Not issued' },
};

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
  cancelSwitchesLogin: {
    ja: '電子証明書を解約すると、ログイン方法が「電子証明書」の場合、「ユーザーID」に切り替わります。',
    en: 'Cancelling the certificate service switches the login method back to user ID and password.',
  },
  tabs: SETTINGS_TABS,
  // DESIGN §14 Ordering: the master's own certificate is ordered here (ユーザー登録・編集 orders the others').
  masterCertificate: { ja: '取引責任者の電子証明書', en: 'The master user’s certificate' },
  certificateState: { ja: '電子証明書の状態', en: 'Certificate' },
  certificateOrder: { ja: '電子証明書発行（再発行）', en: 'Issue (re-issue) a certificate' },
  retrievalPassword: { ja: '証明書取得用パスワード', en: 'Certificate retrieval password' },
  retrievalPasswordHint: { ja: `英数${RETRIEVAL_PASSWORD_MIN_LENGTH}文字以上`, en: `${RETRIEVAL_PASSWORD_MIN_LENGTH} or more letters or digits` },
  retrievalPasswordExplain: {
    ja: '証明書取得用パスワードとは、電子証明書の発行手続きをする際に入力する専用パスワードです。電子証明書の発行URLは、ご登録のメールアドレス宛に送信されます。',
    en: 'The certificate retrieval password is the password you enter to retrieve the certificate; the retrieval URL is mailed to your address.',
  },
  confirm: { ja: '確認', en: 'Confirm' },
  tickToOrder: { ja: '「電子証明書発行（再発行）」をチェックし、「証明書取得用パスワード」を入力してください。', en: 'Tick the box and enter a retrieval password.' },
  ...CERTIFICATE_STATE_TEXTS,
});

/** セキュリティ → ログイン方法の変更 (DESIGN §14; seed 003 §2-2 ▽電子証明書のご利用手順). */
const SECURITY_TEXTS = defineTexts({
  title: { ja: 'お客さま情報（申込・設定）', en: 'Customer information (applications and settings)' },
  tabs: SETTINGS_TABS,
  heading: { ja: 'ログイン方法の変更', en: 'Change the login method' },
  current: { ja: '現在のログイン方法', en: 'Current login method' },
  legend: { ja: 'ログイン方法', en: 'Login method' },
  methods: {
    password: { ja: 'ユーザーID', en: 'User ID and password' },
    certificate: { ja: '電子証明書', en: 'Client certificate' },
  },
  effect: {
    ja: '変更後のログイン方法は、すべてのユーザーの次回ログインから適用されます。',
    en: 'The new login method applies to every user from their next login.',
  },
  serviceInactive: {
    ja: '「電子証明書」を選択するには、登録情報から電子証明書をお申込みください。',
    en: 'To choose 電子証明書, first apply for the certificate service under Registration.',
  },
  submit: { ja: '変更', en: 'Change' },
  cautionHeading: { ja: '<ご注意>', en: 'Please note' },
  cautions: [
    { ja: 'ログイン方法を変更すると、電子証明書によるログインに変わります。ユーザー追加後は、必ず事前に周知徹底してください。', en: 'Changing the login method switches everyone to certificate login: tell your users beforehand.' },
    {
      ja: 'ログイン方法の変更後は、当社取引用スマートフォンアプリもあわせてご利用いただけなくなります。電子証明書がインストールされている端末以外からのログインはできませんので、十分にご注意ください。',
      en: 'After the change the smartphone app can no longer be used, and only devices with a certificate installed can log in.',
    },
  ],
  withoutHeading: { ja: '電子証明書を取得していないユーザー', en: 'Users without a certificate' },
  withoutExplain: {
    ja: 'ログイン方法が「電子証明書」の間、次のユーザーはログインできません。【ユーザー一覧】-【ユーザー登録・編集】で電子証明書の発行手続きをしてください。',
    en: 'While the login method is 電子証明書 these users cannot log in: order their certificates in ユーザー登録・編集.',
  },
  everyoneHas: { ja: 'すべてのユーザーが電子証明書を取得済みです。', en: 'Every user has a certificate.' },
  userId: { ja: 'ユーザーID', en: 'User ID' },
  name: { ja: 'ユーザー名', en: 'Name' },
  certificateState: { ja: '電子証明書の状態', en: 'Certificate' },
  ...CERTIFICATE_STATE_TEXTS,
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
  const applyQuery = { querystring: Type.Object({ ...LangQuery, from: Type.Optional(Type.String({ format: 'uuid' })) }) };
  const preHandler = [requireSession(deps), requireRight(canManageCustomerSettings)];
  const schema = { querystring: Type.Object(LangQuery) };

  const { db } = deps;
  const seePreHandler = [requireSession(deps), requireRight(canSeeCustomerSettings)];
  const securityPreHandler = [requireSession(deps), requireRight(canManageSecuritySettings)];

  // Seed 003 §3-1: ビジネスID管理 申込・解約 need 重要権限, 電子証明書 申込・解約 セキュリティ関連設定; each sees its part.
  app.get('/ib/settings', { schema, preHandler: seePreHandler }, async function showSettings(request, reply) {
    return settingsPage(db, request, reply);
  });

  // 電子証明書 申込 (seed 003 §2-3: 電子証明書 未申込 → 申込), confirmed on the shared confirmation screen.
  app.post('/ib/settings/certificate/apply', { schema: { body: TokenOnlyBody }, preHandler: [deps.verifyForm, ...securityPreHandler] }, async function proposeCertificateService(request, reply) {
    return propose(db, request, reply, { kind: 'certificate_service.apply', payload: {} });
  });

  // The master's own 電子証明書発行（再発行）: only the hash of the 証明書取得用パスワード is kept until confirmed.
  app.post('/ib/settings/certificate/order', {
    schema: { body: MasterCertificateBody }, attachValidation: true,
    preHandler: [deps.verifyForm, requireSession(deps), requireRight(mayOrderOwnMasterCertificate)],
  }, async function proposeMasterCertificate(request, reply) {
    try {
      if (request.validationError) throw invalidInput(request.validationError, { retrievalPassword: SETTINGS_TEXTS.retrievalPassword, certificate: SETTINGS_TEXTS.certificateOrder });
      if (request.body.certificate !== 'on') throw new AppError(400, 'invalid_parameter', { message: SETTINGS_TEXTS.tickToOrder });
      const certificate = await certificateOrderInput(request.body.retrievalPassword);
      return await propose(db, request, reply, { kind: 'certificate.order_master', payload: { certificate } });
    } catch (err) {
      const e = formError(err, langOf(request));
      return settingsPage(db, request, reply, { error: e.message, ticked: request.body?.certificate === 'on' }, e.status);
    }
  });

  // セキュリティ → ログイン方法の変更 (DESIGN §14): who has no certificate yet is listed before anyone switches.
  app.get('/ib/settings/security', { schema: applyQuery, preHandler: securityPreHandler }, async function showSecurity(request, reply) {
    const earlier = await pendingInput(db, request, 'login_method.change', request.query.from);
    return securityPage(db, request, reply, { chosen: earlier?.payload.method });
  });

  app.post('/ib/settings/security/login-method', { schema: { body: LoginMethodBody }, attachValidation: true, preHandler: [deps.verifyForm, ...securityPreHandler] }, async function proposeLoginMethod(request, reply) {
    try {
      if (request.validationError) throw invalidInput(request.validationError, { loginMethod: SECURITY_TEXTS.legend });
      const method = request.body.loginMethod;
      if (method === undefined) throw new AppError(400, 'invalid_parameter', { message: { ja: 'ログイン方法を選択してください。', en: 'Choose a login method.' } });
      return await propose(db, request, reply, { kind: 'login_method.change', payload: { method } });
    } catch (err) {
      const e = formError(err, langOf(request));
      return securityPage(db, request, reply, { error: e.message }, e.status);
    }
  });

  // 戻る from the confirmation comes back with `from`: the form shows the choice made.
  app.get('/ib/settings/business-id/apply', { schema: applyQuery, preHandler }, async function showBusinessIdApply(request, reply) {
    const earlier = await pendingInput(deps.db, request, 'business_id.apply', request.query.from);
    return render(request, reply, 'ib/business-id-apply', {
      t: translate(BUSINESS_ID_APPLY_TEXTS, langOf(request)), certificate: earlier?.payload.certificate ?? false,
    });
  });
};

/** A date as the settings screens show it: 2026/12/05 (Japan). */
function day(at: Date): string {
  return jstDate(at).replaceAll('-', '/');
}

/** The certificate line of one user, in the screen's language. */
function certificateStateText(t: { stateIssued: (d: string) => string; stateOrdered: (d: string) => string; stateNone: string }, s: { hasCertificate: boolean; notAfter: Date | null; openOrder: { expiresAt: Date } | null } | undefined): string {
  if (s?.openOrder) return t.stateOrdered(day(s.openOrder.expiresAt));
  if (s?.hasCertificate && s.notAfter) return t.stateIssued(day(s.notAfter));
  return t.stateNone;
}

/** お客さま情報（申込・設定） → 登録情報, with the master's own certificate when the service is in use. */
async function settingsPage(db: Db, request: FastifyRequest, reply: FastifyReply, data: { error?: string; ticked?: boolean } = {}, status = 200) {
  const actor = actorOf(request);
  const t = translate(SETTINGS_TEXTS, langOf(request));
  const ordersOwn = mayOrderOwnMasterCertificate(actor) && actor.certificateServiceActive;
  const own = ordersOwn ? (await certificateStates(db, actor.customerId)).get(actor.id) : undefined;
  return render(request, reply, 'ib/settings', {
    t,
    may: { businessId: canManageCustomerSettings(actor), certificate: canManageSecuritySettings(actor), orderOwn: ordersOwn },
    ownCertificate: ordersOwn ? certificateStateText(t, own) : undefined,
    error: data.error, ticked: data.ticked ?? false,
  }, status);
}

/** セキュリティ: the login method, the choice, and who has no certificate yet. */
async function securityPage(db: Db, request: FastifyRequest, reply: FastifyReply, data: { error?: string; chosen?: string } = {}, status = 200) {
  const actor = actorOf(request);
  const t = translate(SECURITY_TEXTS, langOf(request));
  const customer = await db.selectFrom('customers').select('login_method').where('id', '=', actor.customerId).executeTakeFirstOrThrow();
  let without: { loginId: string; name: string; state: string }[] = [];
  if (actor.certificateServiceActive) {
    const [users, states] = await Promise.all([listUsers(db, actor.customerId), certificateStates(db, actor.customerId)]);
    without = users
      .filter((u) => !states.get(u.id)?.hasCertificate)
      .map((u) => ({ loginId: u.login_id, name: u.name, state: certificateStateText(t, states.get(u.id)) }));
  }
  return render(request, reply, 'ib/settings-security', {
    t, current: customer.login_method, chosen: data.chosen ?? customer.login_method, serviceActive: actor.certificateServiceActive, without, error: data.error,
  }, status);
}
