import { defineTexts, translate, type Lang, type Text } from '../shared/i18n.ts';
import type { GrantEndedBy } from '../db/database.ts';

/**
 * What every audit event type is called on ログイン・操作履歴, in both languages. Every type the code
 * records has an entry (a test reads the sources to make sure); an unknown type shows its code.
 */
export const AUDIT_EVENT_NAMES = defineTexts({
  'login.success': { ja: 'ログイン', en: 'Logged in' },
  'login.failure': { ja: 'ログイン失敗', en: 'Login failed' },
  'login.locked': { ja: 'ログインパスワードのロック', en: 'Login password locked' },
  logout: { ja: 'ログアウト', en: 'Logged out' },
  'session.replaced': { ja: '別の場所でのログインによるログアウト', en: 'Logged out by a login elsewhere' },
  'user.setup_completed': { ja: '初回ログイン時の設定', en: 'First-login setup completed' },
  'user.transaction_password_set': { ja: '取引パスワードの再設定', en: 'Transaction password set again' },
  'password.login_reset': { ja: 'ログインパスワード再設定（ロック解除）', en: 'Login password reset (unlock)' },
  'password.login_reset_completed': { ja: 'ログインパスワード再設定の完了', en: 'Login password reset completed' },
  'password.reset_code_failure': { ja: '認証番号の誤り', en: 'Wrong verification code' },
  'password.transaction_reset': { ja: '取引パスワード再設定（ロック解除）', en: 'Transaction password reset (unlock)' },
  'transaction_password.failure': { ja: '取引パスワードの誤り', en: 'Wrong transaction password' },
  'transaction_password.locked': { ja: '取引パスワードのロック', en: 'Transaction password locked' },
  'mail_token.failure': { ja: 'メールトークンの誤り', en: 'Wrong mail token' },
  'group.created': { ja: 'グループ登録', en: 'Group created' },
  'group.updated': { ja: 'グループ編集', en: 'Group changed' },
  'group.deleted': { ja: 'グループ削除', en: 'Group deleted' },
  'user.created': { ja: 'ユーザー追加', en: 'User added' },
  'user.updated': { ja: 'ユーザー編集', en: 'User changed' },
  'user.deleted': { ja: 'ユーザー削除', en: 'User deleted' },
  'business_id.applied': { ja: 'ビジネスID管理 申込', en: 'Business ID management applied for' },
  'business_id.cancelled': { ja: 'ビジネスID管理 解約', en: 'Business ID management cancelled' },
  'certificate_service.cancelled': { ja: '電子証明書 解約', en: 'Certificate service cancelled' },
  'certificate_service.applied': { ja: '電子証明書 申込', en: 'Certificate service applied for' },
  'login_method.changed': { ja: 'ログイン方法の変更', en: 'Login method changed' },
  'consent.granted': { ja: 'API連携の同意', en: 'Consent given to an app' },
  'consent.denied': { ja: 'API連携の同意の中止', en: 'Consent refused or cancelled' },
  'grant.revoked': { ja: 'API連携の解除', en: 'App access revoked' },
  'client.registered': { ja: 'API連携先アプリの登録', en: 'App registered' },
  'partner.certificate_issued': { ja: 'API連携先のクライアント証明書の発行', en: 'Partner client certificate issued' },
  // The life of user certificates (DESIGN §14).
  'certificate.ordered': { ja: '電子証明書発行（再発行）の依頼', en: 'Certificate ordered' },
  'certificate.order_cancelled': { ja: '電子証明書発行依頼の取消', en: 'Certificate order cancelled' },
  'certificate.retrieval_password_wrong': { ja: '証明書取得用パスワードの誤り', en: 'Wrong certificate retrieval password' },
  'certificate.retrieval_password_accepted': { ja: '証明書取得用パスワードの確認', en: 'Certificate retrieval password accepted' },
  'certificate.issued': { ja: '電子証明書の取得（ダウンロード）', en: 'Certificate retrieved (downloaded)' },
  'certificate.revoked': { ja: '電子証明書の失効', en: 'Certificate revoked' },
  'certificate.renewal_notice_sent': { ja: '電子証明書更新のご案内の送信', en: 'Certificate renewal notice sent' },
  'pin.success': { ja: '照会用暗証番号の確認', en: 'Inquiry PIN confirmed' },
  'pin.failure': { ja: '照会用暗証番号の誤り', en: 'Wrong inquiry PIN' },
  'pin.locked': { ja: '照会用暗証番号のロック', en: 'Inquiry PIN locked' },
  // Transfers (DESIGN §17)
  'transfer.requested': { ja: '振込依頼の受付（API連携）', en: 'Transfer requested (app)' },
  'transfer.refused': { ja: '振込依頼の拒否（API連携）', en: 'Transfer request refused (app)' },
  'transfer.cancelled': { ja: '振込申請の取消（API連携）', en: 'Transfer application cancelled (app)' },
  'transfer.approved': { ja: '振込申請の承認', en: 'Transfer approved' },
  'transfer.approval_refused': { ja: '振込申請の承認・差戻の拒否', en: 'Transfer decision refused' },
  'transfer.returned': { ja: '振込申請の差戻', en: 'Transfer returned' },
  'transfer.withdrawn': { ja: '振込申請の取下げ', en: 'Transfer withdrawn' },
  'transfer.expired': { ja: '振込申請の期限切れ', en: 'Transfer application expired' },
  'transfer.executed': { ja: '振込の実行', en: 'Transfer executed' },
  'transfer.failed': { ja: '振込の不成立', en: 'Transfer failed' },
});

/** The labels of the details' keys. */
const DETAIL_LABELS = defineTexts({
  channel: { ja: '利用チャネル', en: 'Channel' },
  method: { ja: 'ログイン方式', en: 'Login method' },
  fingerprint: { ja: '電子証明書（SHA-256）', en: 'Certificate (SHA-256)' },
  reason: { ja: '理由', en: 'Reason' },
  failures: { ja: '連続誤り回数', en: 'Failures in a row' },
  loginId: { ja: 'ログインID', en: 'Login ID' },
  name: { ja: '名前', en: 'Name' },
  email: { ja: 'メールアドレス', en: 'Mail address' },
  group_id: { ja: 'グループ', en: 'Group' },
  groupId: { ja: 'グループ', en: 'Group' },
  permissions: { ja: '権限', en: 'Rights' },
  deletedUsers: { ja: '削除されたユーザー数', en: 'Users deleted' },
  wasLocked: { ja: 'ロック中だった', en: 'Was locked' },
  certificate: { ja: '電子証明書の利用', en: 'Certificate' },
  certificateOrder: { ja: '電子証明書発行（再発行）', en: 'Certificate (re)issue' },
  // Certificate orders and certificates (DESIGN §14).
  orderId: { ja: 'オーダーID', en: 'Order ID' },
  certificateId: { ja: '電子証明書', en: 'Certificate' },
  serialNumber: { ja: 'シリアル番号', en: 'Serial number' },
  failedAttempts: { ja: '証明書取得用パスワードの誤り回数', en: 'Wrong retrieval passwords' },
  notAfter: { ja: '有効期限', en: 'Valid until' },
  renews: { ja: '更新前の電子証明書', en: 'Renewed certificate' },
  profile: { ja: 'ファイル形式', en: 'File format' },
  loginMethod: { ja: 'ログイン方法', en: 'Login method' },
  revokedUsers: { ja: '電子証明書を失効したユーザー数', en: 'Users whose certificates were revoked' },
  loginPasswordChanged: { ja: 'ログインパスワードの変更', en: 'Login password changed' },
  purpose: { ja: '操作', en: 'Operation' },
  clientId: { ja: 'API連携先', en: 'App' },
  scopes: { ja: '利用業務', en: 'Scopes' },
  accounts: { ja: '口座数', en: 'Accounts' },
  expiresAt: { ja: '有効期限', en: 'Valid until' },
  replaced: { ja: '置き換えた同意', en: 'Replaced consent' },
  grantId: { ja: '同意', en: 'Consent' },
  by: { ja: '操作元', en: 'By' },
  step: { ja: '画面', en: 'Step' },
  accountId: { ja: '口座', en: 'Account' },
  applyNo: { ja: '受付番号', en: 'Application number' },
  amount: { ja: '金額', en: 'Amount' },
  fee: { ja: '手数料', en: 'Fee' },
  items: { ja: '件数', en: 'Items' },
  designatedDate: { ja: '振込指定日', en: 'Designated date' },
  codes: { ja: 'エラー詳細コード', en: 'Error detail codes' },
  inBankCredits: { ja: '当行宛入金口座数', en: 'In-bank credits' },
  changed: { ja: '変更内容', en: 'Changed' },
  // Seed 003 allows a group administrator to move themselves into another group; the log says so plainly.
  selfGroupChange: { ja: '自身の所属グループの変更', en: 'Changed their own group' },
});

/** Who ended an API link (DESIGN §15), as 終了した連携 and the audit log's reasons word it. */
export const LINK_ENDINGS = defineTexts({
  holder: { ja: 'ご本人による連携解除', en: 'Ended by the holder' },
  administrator: { ja: '管理者による連携解除', en: 'Ended by an administrator' },
  partner: { ja: '連携先サービスによる解除', en: 'Ended by the service' },
  expiry: { ja: '有効期限切れ', en: 'Expired' },
  user_change: { ja: 'ユーザー情報の変更（削除・パスワード再設定）', en: 'User changed (deleted or password reset)' },
  group_change: { ja: 'グループの削除', en: 'Group deleted' },
  replaced: { ja: '再連携による更新', en: 'Replaced by a new link' },
  system: { ja: 'システムによる解除', en: 'Ended by the system' },
} satisfies Record<GrantEndedBy, unknown>);

/** Words for the coded values that details carry (channels, reasons, who revoked, change kinds). */
const VALUE_WORDS = defineTexts({
  internet_banking: { ja: 'インターネットバンキング', en: 'Internet banking' },
  consent: { ja: 'API連携の同意画面', en: 'App consent screen' },
  api_consent: { ja: 'API連携認証', en: 'App consent journey' },
  wrong_password: { ja: 'パスワードの誤り', en: 'Wrong password' },
  unknown_login_id: { ja: '登録のないログインID', en: 'Unknown login ID' },
  invalid_credentials: { ja: 'ログインIDまたはパスワードの誤り', en: 'Wrong login ID or password' },
  locked: { ja: 'ロック中', en: 'Locked' },
  certificate_required: { ja: '電子証明書が必要', en: 'Certificate required' },
  // Certificate login (DESIGN §14): the method and each refusal.
  certificate: { ja: '電子証明書', en: 'Client certificate' },
  no_certificate: { ja: '電子証明書の提示なし', en: 'No certificate presented' },
  expired: { ja: '電子証明書の有効期限切れ', en: 'Certificate expired' },
  revoked: { ja: '失効した電子証明書', en: 'Certificate revoked' },
  unknown_ca: { ja: '当行以外が発行した電子証明書', en: 'Certificate not issued by the bank' },
  not_found: { ja: '当行に記録のない電子証明書', en: 'Certificate unknown to the bank' },
  other_user: { ja: '登録のない利用者の電子証明書', en: 'Certificate of a user no longer registered' },
  service_inactive: { ja: '電子証明書サービス未契約', en: 'Certificate service not active' },
  handoff_invalid: { ja: 'ログインの引き継ぎの期限切れ・再使用', en: 'Login handoff expired or reused' },
  password_reset_pending: { ja: 'パスワード再設定中', en: 'Password reset pending' },
  setup_required: { ja: '初回設定待ち', en: 'Setup pending' },
  wrong_pin: { ja: '暗証番号の誤り', en: 'Wrong PIN' },
  wrong_code: { ja: 'コードの誤り', en: 'Wrong code' },
  no_live_token: { ja: '有効なメールトークンなし', en: 'No valid mail token' },
  consent_denied: { ja: '同意しない', en: 'Refused' },
  journey_aborted: { ja: '中止', en: 'Cancelled' },
  no_accounts: { ja: '連携できる口座なし', en: 'No account to connect' },
  user: { ja: 'ご本人', en: 'The user' },
  client: { ja: 'API連携先', en: 'The app' },
  administrator: { ja: '管理者', en: 'An administrator' },
  operator: { ja: '当行', en: 'The bank' },
  system: { ja: 'システム', en: 'The system' },
  user_deleted: { ja: 'ユーザー削除', en: 'User deleted' },
  group_deleted: { ja: 'グループ削除', en: 'Group deleted' },
  login_password_reset: { ja: 'ログインパスワード再設定', en: 'Login password reset' },
  transaction_password_reset: { ja: '取引パスワード再設定', en: 'Transaction password reset' },
  business_id_cancelled: { ja: 'ビジネスID管理 解約', en: 'Business ID management cancelled' },
  certificate_service_cancelled: { ja: '電子証明書 解約', en: 'Certificate service cancelled' },
  // Why a certificate or an order ended (DESIGN §14).
  superseded: { ja: '新しい電子証明書への切替', en: 'Superseded by a new certificate' },
  too_many_attempts: { ja: '証明書取得用パスワードの誤りが規定回数に達した', en: 'Too many wrong retrieval passwords' },
  key_compromise: { ja: '秘密鍵の漏えい', en: 'Key compromise' },
  cessation_of_operation: { ja: '利用終了', en: 'No longer used' },
  'replaced by a new consent': { ja: '新しい同意による置き換え', en: 'Replaced by a new consent' },
  // Who ended an API link (DESIGN §15), and why, as grant.revoked records them.
  holder: { ja: 'ご本人', en: 'The holder' },
  partner: { ja: 'API連携先', en: 'The app' },
  expiry: { ja: '有効期限切れ', en: 'Expiry' },
  user_change: { ja: 'ユーザー情報の変更', en: 'A user change' },
  group_change: { ja: 'グループの変更', en: 'A group change' },
  ended_by_holder: LINK_ENDINGS.holder,
  ended_by_administrator: LINK_ENDINGS.administrator,
  'revoked by the client (RFC 7009)': { ja: 'API連携先による解除', en: 'Revoked by the app' },
  'authorization code or refresh token reuse': { ja: '認可コードまたはリフレッシュトークンの再使用', en: 'Authorization code or refresh token reused' },
  // Transfers: why a request, a decision or an execution was refused.
  insufficient_funds: { ja: '支払可能残高の不足', en: 'Insufficient funds' },
  no_approval_right: { ja: '承認権限なし', en: 'No approval authority' },
  over_approval_limit: { ja: '承認限度額超過', en: 'Over the approval limit' },
  over_self_approval_limit: { ja: '自己承認限度額超過', en: 'Over the self-approval limit' },
  no_transfer_right: { ja: '振込・振替権限なし', en: 'No transfer right' },
  own_application: { ja: 'ご自身の申請', en: 'Own application' },
  invalid_parameter: { ja: '入力内容の誤り', en: 'Invalid request' },
  transfer_refused: { ja: '振込限度額超過・振込先なし等', en: 'Over the limit or unknown beneficiary' },
  account_forbidden: { ja: '口座への権限なし', en: 'No access to the account' },
  forbidden: { ja: '振込・振替権限なし', en: 'No transfer right' },
  invalid_token: { ja: '利用者が無効', en: 'User no longer active' },
  yes: { ja: 'あり', en: 'yes' },
  no: { ja: 'なし', en: 'no' },
  'group.create': { ja: 'グループ登録', en: 'Group created' },
  'group.update': { ja: 'グループ編集', en: 'Group changed' },
  'group.delete': { ja: 'グループ削除', en: 'Group deleted' },
  'user.create': { ja: 'ユーザー追加', en: 'User added' },
  'user.update': { ja: 'ユーザー編集', en: 'User changed' },
  'user.delete': { ja: 'ユーザー削除', en: 'User deleted' },
  'password.login_reset': { ja: 'ログインパスワード再設定（ロック解除）', en: 'Login password reset' },
  'password.transaction_reset': { ja: '取引パスワード再設定（ロック解除）', en: 'Transaction password reset' },
  'business_id.apply': { ja: 'ビジネスID管理 申込', en: 'Business ID management application' },
  'business_id.cancel': { ja: 'ビジネスID管理 解約', en: 'Business ID management cancellation' },
  'certificate_service.cancel': { ja: '電子証明書 解約', en: 'Certificate service cancellation' },
  'certificate_service.apply': { ja: '電子証明書 申込', en: 'Certificate service application' },
  'login_method.change': { ja: 'ログイン方法の変更', en: 'Login method change' },
  'certificate.order_master': { ja: '取引責任者の電子証明書発行（再発行）', en: 'Master user certificate order' },
  // The login methods (customers.login_method) as ログイン方法の変更 names them ('certificate' is above).
  password: { ja: 'ユーザーID', en: 'User ID and password' },
});

/** Keys that identify rows for the system and mean nothing to a reader (the screen names them otherwise). */
const HIDDEN_KEYS = new Set(['grantId', 'replaced', 'groupId', 'session']);

const ISO_INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$/;

function wordFor(catalog: Record<string, Text>, key: string, lang: Lang): string | undefined {
  return Object.hasOwn(catalog, key) ? catalog[key]![lang] : undefined;
}

export interface DetailLookups {
  /** `2026/11/20 09:07:05` in Japan time. */
  formatTime: (at: Date) => string;
  clientName: (clientId: string) => string | undefined;
  groupName: (groupId: string) => string | undefined;
}

function valueText(key: string, value: unknown, lang: Lang, look: DetailLookups): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'boolean') return translate(VALUE_WORDS, lang)[value ? 'yes' : 'no'];
  if (Array.isArray(value)) return value.map((v) => valueText(key, v, lang, look)).join(', ');
  if (typeof value === 'object') return translate(DETAIL_LABELS, lang).changed;
  const s = String(value);
  if (key === 'clientId') return look.clientName(s) ?? s;
  if ((key === 'group_id' || key === 'groupId')) return look.groupName(s) ?? '-';
  if (ISO_INSTANT.test(s)) return look.formatTime(new Date(s));
  return wordFor(VALUE_WORDS, s, lang) ?? s;
}

function labelOf(key: string, lang: Lang): string {
  return wordFor(DETAIL_LABELS, key, lang) ?? key;
}

/** A before/after pair as the fields that changed: `名前: 佐藤 → 鈴木`. */
function changes(before: Record<string, unknown>, after: Record<string, unknown>, lang: Lang, look: DetailLookups): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => (typeof after[k] === 'object' && after[k] !== null && !Array.isArray(after[k])
      ? `${labelOf(k, lang)}: ${translate(DETAIL_LABELS, lang).changed}`
      : `${labelOf(k, lang)}: ${valueText(k, before[k], lang, look)} → ${valueText(k, after[k], lang, look)}`));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An event's details as lines a customer can read: labelled, coded values in words, times in JST, ids hidden. */
export function describeDetails(details: Record<string, unknown>, lang: Lang, look: DetailLookups): string[] {
  const { before, after, ...rest } = details;
  const lines = Object.entries(rest)
    .filter(([k]) => !HIDDEN_KEYS.has(k))
    .map(([k, v]) => `${labelOf(k, lang)}: ${valueText(k, v, lang, look)}`);
  if (isRecord(before) && isRecord(after)) lines.push(...changes(before, after, lang, look));
  return lines;
}

/** The name of an event type in the language, or its code when the catalog does not know it. */
export function auditEventName(type: string, lang: Lang): string {
  return wordFor(AUDIT_EVENT_NAMES, type, lang) ?? type;
}
