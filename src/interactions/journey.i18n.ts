import { TTL } from '../oidc/fapi-profile.ts';
import { defineTexts, type Translated } from '../shared/i18n.ts';
import { BUSINESS_SCOPE_NAMES } from '../shared/scopes.ts';

/** How long one journey may take: the lifetime of oidc-provider's interaction. */
const JOURNEY_MINUTES = Math.round(TTL.interaction / 60);

/**
 * Screen texts of the consent journey. The Japanese labels are the seed's words (DESIGN §6: contract,
 * tests find elements by them); the English ones say the same.
 */
export const JOURNEY_TEXTS = defineTexts({
  titleLogin: { ja: 'API連携認証（利用登録）', en: 'API connection (registration)' },
  titleBusiness: { ja: 'API連携認証（認可業務選択）', en: 'API connection (choose services)' },
  titlePin: { ja: 'API連携認証（照会用暗証番号登録）', en: 'API connection (inquiry PIN registration)' },
  titlePinResult: { ja: 'API連携認証（照会用暗証番号登録結果）', en: 'API connection (inquiry PIN registered)' },
  titleConsent: { ja: 'API連携認証（情報アクセス許可）', en: 'API connection (access permission)' },
  titleExpired: { ja: 'API連携認証', en: 'API connection' },
  steps: [
    { ja: 'ログイン', en: 'Log in' },
    { ja: '利用業務', en: 'Services' },
    { ja: '暗証番号登録', en: 'PIN' },
    { ja: '登録結果', en: 'PIN result' },
    { ja: 'アクセス許可', en: 'Permission' },
  ],
  stepLabel: { ja: '手続きの進行状況', en: 'Progress' },
  skippedStep: { ja: '省略', en: 'skipped' },
  requester: { ja: 'からAPI連携の申込みがありました。', en: 'has asked to connect to your accounts.' },
  termsHeading: { ja: 'API利用規定', en: 'API terms of use' },
  terms: [
    {
      ja: 'ご登録いただいている口座の明細情報を、他社の家計簿・資産管理サービスやクラウド会計ソフト等に連携することができます。ご利用にあたって、本メニューにて本人確認および連携意思確認の認証操作を行う必要があります。',
      en: 'You can connect the statements of your registered accounts to other companies’ household-budget, asset-management or cloud accounting services. To do so, confirm your identity and your intention here.',
    },
    {
      ja: 'お客さまが入力されたID・パスワード・暗証番号等の認証情報はAPI連携事業者には開示されません。連携はお客さまがいつでも解除できます。',
      en: 'Your ID, passwords and PINs are never disclosed to the connecting service. You can end the connection at any time.',
    },
  ],
  certificateHeading: { ja: '電子証明書方式のお客さま', en: 'Customers using a client certificate' },
  certificateButton: { ja: '電子証明書ログイン', en: 'Log in with certificate' },
  passwordHeading: { ja: 'ID・パスワード方式のお客さま', en: 'Customers using ID and password' },
  loginId: { ja: 'ログインID', en: 'Login ID' },
  loginIdHint: { ja: '半角数字10桁', en: '10 digits' },
  password: { ja: 'ログインパスワード', en: 'Login password' },
  submitLogin: { ja: 'API連携', en: 'Connect' },
  cancel: { ja: '中止する', en: 'Cancel' },
  chooseBusiness: { ja: '利用業務を選択', en: 'Choose the services to allow' },
  businessHint: { ja: 'API連携先で利用する業務を選択してください。', en: 'Choose the services the connecting app may use.' },
  next: { ja: '次へ', en: 'Next' },
  business: BUSINESS_SCOPE_NAMES,
  /** What 振込 lets the partner do, said where the holder chooses it (step 2) and allows it (step 5). */
  transfersHint: {
    ja: '振込: 連携先は振込を依頼できます。依頼された振込は、お客さまがインターネットバンキングの「申請・承認一覧」で承認するまで実行されません。',
    en: 'Transfers: the service may request transfers. A requested transfer is not made until you approve it in internet banking (申請・承認一覧, applications and approvals).',
  },
  transfersNotice: (service: string) => ({
    ja: `${service}は、許可する口座からの振込を依頼できるようになります。依頼された振込は、お客さまがインターネットバンキングの「申請・承認一覧」で取引パスワードを入力して承認するまで実行されません。承認しない振込は、差戻または期限切れとなり、実行されません。`,
    en: `${service} will be able to request transfers from the accounts you allow. A requested transfer is not made until you approve it with your transaction password in internet banking (申請・承認一覧, applications and approvals). A transfer you do not approve is returned or expires, and is never made.`,
  }),
  pinIntro: {
    ja: '「照会用暗証番号」の登録状態が未登録の口座を選択して、当行へお届けの「照会用暗証番号」を入力し、「登録」ボタンを押してください。',
    en: 'Choose an account whose inquiry PIN is not registered yet, enter the inquiry PIN you filed with the bank and press Register.',
  },
  account: { ja: '口座', en: 'Account' },
  chooseAccount: { ja: '登録する口座を選択', en: 'Choose the account to register' },
  select: { ja: '選択', en: 'Select' },
  accountTypes: {
    '01': { ja: '普通', en: 'Ordinary' },
    '11': { ja: '円定期', en: 'Time deposit' },
    '51': { ja: '外貨普通', en: 'Foreign currency' },
  },
  state: { ja: '登録状態', en: 'Status' },
  registered: { ja: '登録済', en: 'Registered' },
  unregistered: { ja: '未登録', en: 'Not registered' },
  locked: { ja: 'ロック中', en: 'Locked' },
  pin: { ja: '照会用暗証番号', en: 'Inquiry PIN' },
  pinHint: { ja: '数字4桁', en: '4 digits' },
  register: { ja: '登録', en: 'Register' },
  pinNextHint: { ja: '登録済の口座だけで連携する場合は「次へ」を押してください。', en: 'To connect only the registered accounts, press Next.' },
  pinResultIntro: { ja: '照会用暗証番号を登録しました。', en: 'The inquiry PIN has been registered.' },
  confirm: { ja: '確定', en: 'Confirm' },
  addMore: { ja: '照会用暗証番号の追加登録', en: 'Register another inquiry PIN' },
  consentIntro: (service: string) => ({
    ja: `${service}がお客さまのインターネットバンキングの口座情報・明細情報へのアクセスを求めています。以下の同意内容・許可範囲をご確認のうえ、「許可」ボタンを押してください。`,
    en: `${service} asks to access your account and statement information. Check what you allow below, then press Allow.`,
  }),
  target: { ja: '許可対象', en: 'Allowed party' },
  period: { ja: '許可期間', en: 'Permission period' },
  /** A date and time in Japan (DESIGN §8), from `jstParts`. */
  dateTime: (p: Record<'year' | 'month' | 'day' | 'hour' | 'minute', string>) => ({
    ja: `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}`,
    en: `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} JST`,
  }),
  periodStart: { ja: '許可開始', en: 'From' },
  periodEnd: { ja: '許可期限', en: 'Until' },
  businesses: { ja: '利用業務', en: 'Services' },
  accounts: { ja: '対象口座', en: 'Accounts' },
  accountsToAllow: { ja: '許可する口座', en: 'Accounts to allow' },
  accountsToAllowHint: { ja: '連携先に情報を提供する口座を選択してください。', en: 'Choose the accounts whose information the service may see.' },
  accountsNotIncluded: { ja: '許可の対象外の口座', en: 'Accounts not included' },
  exclusion: {
    locked: { ja: '照会用暗証番号がロック中のため対象外です', en: 'Not included: its inquiry PIN is locked' },
    unregistered: { ja: '照会用暗証番号が未登録のため対象外です', en: 'Not included: no inquiry PIN is registered' },
  },
  endJourney: { ja: '手続きを終了する', en: 'End' },
  backToService: (service: string) => ({ ja: `${service}に戻る`, en: `Back to ${service}` }),
  backToServiceHint: { ja: '連携先のサービスには、お手続きが完了しなかったことが伝わります。', en: 'The service will be told that the connection was not completed.' },
  consentHeading: { ja: '同意確認', en: 'Consent' },
  consentText: {
    ja: '「許可」ボタンを押す前に、API連携先のWebサイトを閲覧できるかどうかをお客さまご自身の判断で確認してください。許可ボタンを押すことによって、API連携先がお客さまの情報を扱うことになります。お客さまの入力されたIDやパスワード等の認証情報はAPI連携事業者には開示されません。また、API連携事業者との間の通信は暗号化されています。',
    en: 'Before pressing Allow, make sure you can see the connecting service’s website. By pressing Allow, the connecting service will handle your information. Your ID and passwords are not disclosed to it, and all communication is encrypted.',
  },
  continueCheckbox: { ja: '許可手続きを継続する', en: 'Continue with the permission' },
  allow: { ja: '許可', en: 'Allow' },
  deny: { ja: '拒否', en: 'Deny' },
  noAccounts: { ja: '連携できる口座がありません。「手続きを終了する」を押してください。', en: 'No account can be connected. Press End.' },
  expired: {
    ja: `お手続きの有効期限（${JOURNEY_MINUTES}分）が切れたか、すでに完了しています。お手数ですが、連携先のサービスからもう一度お手続きください。`,
    en: `This request expired (${JOURNEY_MINUTES} minutes) or is already finished. Please start again from the connecting service.`,
  },
  expiredOnly: {
    ja: `お手続きの有効期限（${JOURNEY_MINUTES}分）が切れました。お手数ですが、連携先のサービスからもう一度お手続きください。`,
    en: `This request expired (${JOURNEY_MINUTES} minutes). Please start again from the connecting service.`,
  },
  finished: { ja: 'このお手続きはすでに完了しています。', en: 'This request is already finished.' },
  back: { ja: '前の画面に戻る', en: 'Back' },
  errors: {
    invalid_credentials: { ja: 'ログインIDまたはログインパスワードが正しくありません。', en: 'The login ID or login password is incorrect.' },
    locked: {
      ja: 'ログインパスワードを所定の回数誤ったため、ご利用を停止しています。管理者の方、または当行へロック解除をご依頼ください。',
      en: 'This user is locked after too many wrong passwords. Ask your administrator or the bank to unlock it.',
    },
    certificate_required: {
      ja: 'お客さまは電子証明書方式のため、ログインIDとパスワードではログインできません。「電子証明書ログイン」ボタンからログインしてください。',
      en: 'You log in with a client certificate: use the “Log in with certificate” button.',
    },
    password_reset_pending: {
      ja: 'ログインパスワードは再設定の手続き中です。メールでお送りしたURLから新しいログインパスワードを設定してください。',
      en: 'Your login password is being reset: set a new one from the link in the mail we sent.',
    },
    setup_required: { ja: 'インターネットバンキングで初回ログイン時の設定を完了してから、もう一度お手続きください。', en: 'Finish the first-login setup in internet banking, then try again.' },
    no_business: { ja: '利用業務を1つ以上選択してください。', en: 'Choose at least one service.' },
    pin_invalid_format: { ja: '照会用暗証番号は数字4桁で入力してください。', en: 'The inquiry PIN is 4 digits.' },
    pin_no_account: { ja: '登録する口座を選択してください。', en: 'Choose the account to register.' },
    pin_wrong: (remaining: number) => ({
      ja: `照会用暗証番号が正しくありません。あと${remaining}回誤るとこの口座の照会用暗証番号はロックされます。`,
      en: `The inquiry PIN is incorrect. After ${remaining} more wrong attempt(s) this account's PIN will be locked.`,
    }),
    pin_locked: { ja: 'この口座の照会用暗証番号はロックされています。お取引店へお問い合わせください。', en: 'The inquiry PIN of this account is locked. Please contact your branch.' },
    pin_none_registered: { ja: '照会用暗証番号を登録した口座がありません。', en: 'No account has a registered inquiry PIN.' },
    consent_unchecked: { ja: '「許可手続きを継続する」をチェックしてください。', en: 'Tick “Continue with the permission”.' },
    no_accounts: { ja: '連携できる口座がないため、許可できません。', en: 'No account can be connected, so nothing can be allowed.' },
    no_account_ticked: { ja: '許可する口座を1つ以上選択してください。', en: 'Choose at least one account to allow.' },
    invalid_form: { ja: '入力内容に誤りがあります。もう一度操作してください。', en: 'The form was not filled in correctly. Please try again.' },
    csrf: { ja: '画面の有効期限が切れました。もう一度操作してください。', en: 'This page expired. Please try again.' },
  },
});

export type JourneyTexts = Translated<typeof JOURNEY_TEXTS>;

/** A 利用業務's name on the screens (the scope itself when the catalog does not know it). */
export function businessName(t: JourneyTexts, scope: string): string {
  return Object.hasOwn(t.business, scope) ? t.business[scope as keyof JourneyTexts['business']] : scope;
}

/** An account as the screens name it: 支店名（支店番号） 科目 [通貨] 口座番号. */
export function accountLabel(t: JourneyTexts, a: { branchName: string; branchCode: string; accountTypeCode: string; currency: string; accountNumber: string }): string {
  const type = Object.hasOwn(t.accountTypes, a.accountTypeCode) ? t.accountTypes[a.accountTypeCode as keyof JourneyTexts['accountTypes']] : a.accountTypeCode;
  return `${a.branchName}（${a.branchCode}） ${type}${a.currency === 'JPY' ? '' : ` ${a.currency}`} ${a.accountNumber}`;
}
