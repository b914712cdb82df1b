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
  'consent.granted': { ja: 'API連携の同意', en: 'Consent given to an app' },
  'consent.denied': { ja: 'API連携の同意の中止', en: 'Consent refused or cancelled' },
  'grant.revoked': { ja: 'API連携の解除', en: 'App access revoked' },
  'client.registered': { ja: 'API連携先アプリの登録', en: 'App registered' },
  'pin.success': { ja: '照会用暗証番号の確認', en: 'Inquiry PIN confirmed' },
  'pin.failure': { ja: '照会用暗証番号の誤り', en: 'Wrong inquiry PIN' },
  'pin.locked': { ja: '照会用暗証番号のロック', en: 'Inquiry PIN locked' },
});

/** The labels of the details' keys. */
const DETAIL_LABELS = defineTexts({
  channel: { ja: '利用チャネル', en: 'Channel' },
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
  wrong_password: { ja: 'パスワードの誤り', en: 'Wrong password' },
  unknown_login_id: { ja: '登録のないログインID', en: 'Unknown login ID' },
  invalid_credentials: { ja: 'ログインIDまたはパスワードの誤り', en: 'Wrong login ID or password' },
  locked: { ja: 'ロック中', en: 'Locked' },
  certificate_required: { ja: '電子証明書が必要', en: 'Certificate required' },
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
