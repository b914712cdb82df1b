import { defineTexts, type Text } from '../shared/i18n.ts';
import type { CertificateLoginRefusal } from './certificate-login.service.ts';
import { MAX_LOGIN_FAILURES } from './password-login.service.ts';

/**
 * What the certificate-login screens of internet banking and of the consent journey say for each
 * refusal (DESIGN §14: each refusal gets a clear message). One catalog, so both surfaces say the same.
 */
export const CERTIFICATE_LOGIN_REFUSALS = defineTexts({
  no_certificate: {
    ja: '電子証明書が提示されませんでした。当行が発行した電子証明書をブラウザに取り込んでから、もう一度お試しください。証明書の選択画面で証明書を選ばなかった場合は、ブラウザをすべて閉じてから開き直してください。',
    en: 'No client certificate was presented. Import the certificate the bank issued into your browser and try again. If you closed the certificate chooser without choosing, restart the browser first.',
  },
  expired: {
    ja: 'この電子証明書は有効期限が切れています。電子証明書の更新（再発行）を行ってください。',
    en: 'This certificate has expired. Renew it (or ask your administrator to issue a new one).',
  },
  revoked: {
    ja: 'この電子証明書は失効しています。管理者の方に電子証明書の再発行をご依頼ください。',
    en: 'This certificate has been revoked. Ask your administrator to issue a new one.',
  },
  unknown_ca: {
    ja: 'この電子証明書は当行が発行したものではありません。当行が発行した電子証明書を選択してください。',
    en: 'This certificate was not issued by the bank. Choose the certificate the bank issued to you.',
  },
  not_found: {
    ja: 'この電子証明書は当行で確認できませんでした。管理者の方に電子証明書の再発行をご依頼ください。',
    en: 'The bank has no record of this certificate. Ask your administrator to issue a new one.',
  },
  other_user: {
    ja: 'この電子証明書のご利用者は登録されていません。ご自身の電子証明書を選択してください。',
    en: 'The user this certificate was issued to is no longer registered. Choose your own certificate.',
  },
  locked: {
    ja: 'ログインパスワードを所定の回数誤ったため、ご利用を停止しています。管理者の方、または当行へロック解除をご依頼ください。',
    en: 'This user is locked after too many wrong passwords. Ask your administrator or the bank to unlock it.',
  },
  service_inactive: {
    ja: '電子証明書サービスのお申込みがないか、解約されています。ログインIDとログインパスワードでログインしてください。',
    en: 'The client certificate service is not active for your company. Log in with your login ID and password.',
  },
  wrong_password: {
    ja: 'ログインパスワードが正しくありません。',
    en: 'The login password is incorrect.',
  },
  password_reset_pending: {
    ja: 'ログインパスワードは再設定の手続き中です。メールでお送りしたURLから新しいログインパスワードを設定してください。',
    en: 'Your login password is being reset: set a new one from the link in the mail we sent.',
  },
  setup_required: {
    ja: 'インターネットバンキングで初回ログイン時の設定を完了してから、もう一度お手続きください。',
    en: 'Finish the first-login setup in internet banking, then try again.',
  },
} satisfies Record<CertificateLoginRefusal, Text>);

export const CERTIFICATE_LOGIN_TEXTS = defineTexts({
  title: { ja: '電子証明書ログイン', en: 'Certificate login' },
  holder: { ja: 'ご利用者', en: 'Certificate holder' },
  company: { ja: 'お客さま名', en: 'Customer' },
  name: { ja: 'お名前', en: 'Name' },
  loginId: { ja: 'ログインID', en: 'Login ID' },
  // DESIGN §14: the screen asks only for the login password; the labels are the seed's.
  password: { ja: 'ログインパスワード', en: 'ログインパスワード' },
  submit: { ja: 'ログイン', en: 'ログイン' },
  intro: {
    ja: 'ブラウザが提示した電子証明書のご利用者です。ログインパスワードを入力してください。',
    en: 'This is the holder of the certificate your browser presented. Enter the login password.',
  },
  failuresLeft: (n: number) => ({
    ja: `あと${n}回誤るとログインできなくなります（${MAX_LOGIN_FAILURES}回連続で誤るとロックされます）。`,
    en: `${n} more wrong attempt(s) will lock this user (${MAX_LOGIN_FAILURES} in a row lock it).`,
  }),
  handoffInvalid: {
    ja: 'ログインの有効期限が切れたか、このログインはすでに使用されています。もう一度ログインしてください。',
    en: 'This login has expired or was already used. Please log in again.',
  },
  backToLogin: { ja: 'ログイン画面に戻る', en: 'Back to the login page' },
  passwordLogin: { ja: 'ID・パスワード方式でログインする', en: 'Log in with ID and password' },
});
