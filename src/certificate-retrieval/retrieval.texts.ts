import { defineTexts } from '../shared/i18n.ts';
import { KEY_PROTECTION_PASSWORD_MIN_LENGTH } from '../certificates/issue.ts';
import { MAX_RETRIEVAL_ATTEMPTS, RETRIEVAL_PASSWORD_MIN_LENGTH } from '../certificates/orders.ts';

/** The retrieval and renewal screens (DESIGN §14); the Japanese labels are contract. */
export const RETRIEVAL_TEXTS = defineTexts({
  passwordTitle: { ja: '証明書取得用パスワード入力', en: 'Certificate retrieval password' },
  passwordIntro: {
    ja: '電子証明書取得のお願いメールに記載のご依頼です。管理者から伝えられた証明書取得用パスワードを入力し、「次へ」を押してください。',
    en: 'This is the order from your mail. Enter the certificate retrieval password your administrator gave you and press 次へ (Next).',
  },
  renewalPasswordIntro: {
    ja: '電子証明書の更新です。前回の電子証明書取得時にお使いになった証明書取得用パスワードを入力し、「次へ」を押してください。',
    en: 'This renews your certificate. Enter the certificate retrieval password you used last time and press 次へ (Next).',
  },
  orderId: { ja: 'オーダーID', en: 'Order ID' },
  commonName: { ja: 'コモンネーム', en: 'Common name' },
  userName: { ja: 'ご利用者', en: 'User' },
  expiresAt: { ja: '取得期限', en: 'Retrieve by' },
  retrievalPassword: { ja: '証明書取得用パスワード', en: '証明書取得用パスワード (retrieval password)' },
  retrievalPasswordHint: { ja: `半角英数字${RETRIEVAL_PASSWORD_MIN_LENGTH}文字以上`, en: `${RETRIEVAL_PASSWORD_MIN_LENGTH} or more letters or digits` },
  next: { ja: '次へ', en: '次へ' },
  wrongPassword: (left: number) => ({
    ja: `証明書取得用パスワードが正しくありません。あと${left}回誤るとこのご依頼は取り消されます（${MAX_RETRIEVAL_ATTEMPTS}回で取消）。`,
    en: `The retrieval password is wrong. ${left} more wrong attempt(s) cancel this order (${MAX_RETRIEVAL_ATTEMPTS} in all).`,
  }),
  keyTitle: { ja: '鍵保護パスワード設定', en: 'Key protection password' },
  keyIntro: {
    ja: 'ダウンロードする電子証明書ファイル（秘密鍵）を保護するパスワードを設定してください。パソコンに電子証明書を取り込む際に必要です。当行はこのパスワードを保存しません。',
    en: 'Choose a password that protects the certificate file (its private key). You need it to import the certificate; the bank does not keep it.',
  },
  keyPassword: { ja: '鍵保護パスワード', en: '鍵保護パスワード (key protection password)' },
  keyPasswordConfirm: { ja: '鍵保護パスワード(確認用)', en: '鍵保護パスワード(確認用) (again)' },
  keyPasswordHint: {
    ja: `半角英数字${KEY_PROTECTION_PASSWORD_MIN_LENGTH}文字以上（英字と数字をそれぞれ1文字以上含む）`,
    en: `${KEY_PROTECTION_PASSWORD_MIN_LENGTH} or more letters and digits, with at least one of each`,
  },
  termsTitle: { ja: '電子証明書利用規定', en: 'Terms of use of client certificates' },
  terms: [
    { ja: '電子証明書は、発行を受けたご本人のみがご利用いただけます。第三者への貸与・譲渡はできません。', en: 'Only the person it was issued to may use the certificate; it may not be lent or transferred.' },
    { ja: '電子証明書ファイルと鍵保護パスワードは、お客さまの責任で厳重に管理してください。', en: 'Keep the certificate file and the key protection password safe; you are responsible for them.' },
    { ja: '紛失・盗難・漏えいのおそれがある場合は、直ちに管理者へ連絡し、電子証明書の失効・再発行を依頼してください。', en: 'If the file may be lost, stolen or leaked, tell your administrator at once to revoke and re-issue it.' },
  ],
  termsValidity: (days: number) => ({
    ja: `電子証明書の有効期間は発行日から${days}日間です。期限が近づくと更新のご案内をお送りします。`,
    en: `A certificate is valid for ${days} days from its issue; you are reminded to renew it before it ends.`,
  }),
  agree: { ja: '同意する', en: '同意する (I agree)' },
  mustAgree: { ja: '電子証明書利用規定に同意してください。', en: 'Please agree to the terms of use.' },
  downloadTitle: { ja: '証明書ダウンロード', en: 'Certificate download' },
  downloadIntro: {
    ja: '「証明書ダウンロード」を押すと、電子証明書ファイル（.pfx）をダウンロードします。ダウンロードは1回限りです。ダウンロード後、ファイルをダブルクリックし、鍵保護パスワードを入力してパソコンに取り込んでください。',
    en: 'Press 証明書ダウンロード to download the certificate file (.pfx). You can download it once. Then open the file and enter the key protection password to import it.',
  },
  download: { ja: '証明書ダウンロード', en: '証明書ダウンロード' },
  legacyNote: {
    ja: '古いmacOS（キーチェーンアクセス）で取り込めない場合は、こちらの旧形式（3DES/SHA-1）でダウンロードしてください。',
    en: 'If an older macOS (Keychain Access) refuses the file, download this older format (3DES/SHA-1) instead.',
  },
  downloadLegacy: { ja: '旧形式でダウンロード（古いmacOS向け）', en: 'Download in the older format (old macOS)' },
  sessionExpired: {
    ja: '画面の有効期限が切れました。メールに記載のURLから、もう一度証明書取得用パスワードを入力してください。',
    en: 'This page has expired. Open the URL in your mail and enter the retrieval password again.',
  },
  closedTitle: { ja: '電子証明書の取得', en: 'Certificate retrieval' },
  renewTitle: { ja: '電子証明書の更新', en: 'Renew your certificate' },
  renewIntro: {
    ja: '提示された電子証明書を更新します。新しい電子証明書で初めてログインした時点で、現在の電子証明書はご利用いただけなくなります。',
    en: 'This renews the certificate your browser presented. The current one stops working when you first log in with the new one.',
  },
  renewRefused: {
    ja: '現在の電子証明書を確認できなかったため、更新できません。メールに記載の「前回の証明書取得用パスワードで更新する」URLをご利用いただくか、管理者に再発行を依頼してください。',
    en: 'The current certificate could not be verified, so it cannot be renewed this way. Use the password link from the mail, or ask your administrator for a new certificate.',
  },
  renewAlready: {
    ja: 'この電子証明書は既に更新済みです。新しい電子証明書をお使いください。',
    en: 'This certificate has already been renewed. Use the new one.',
  },
});
