import { PASSWORD_SYMBOLS, type PasswordBounds } from '../auth/password-policy.ts';
import { defineTexts, translate, type Lang, type Text } from '../shared/i18n.ts';

/**
 * The frame of every internet-banking screen: the bar with the user and ログアウト, and the menu. The
 * menu's Japanese names are the seed's (DESIGN §12); English mode reads English throughout.
 */
export const IB_LAYOUT_TEXTS = defineTexts({
  honorific: { ja: 'さま', en: '' },
  logout: { ja: 'ログアウト', en: 'Log out' },
  menu: { ja: 'メニュー', en: 'Menu' },
  home: { ja: 'ホーム', en: 'Home' },
  businessId: { ja: 'ビジネスID管理', en: 'Business ID management' },
  groups: { ja: 'グループ一覧', en: 'Groups' },
  users: { ja: 'ユーザー一覧', en: 'Users' },
  settings: { ja: 'お客さま情報（申込・設定）', en: 'Customer information (applications and settings)' },
  audit: { ja: 'ログイン・操作履歴', en: 'Login and activity history' },
  links: { ja: 'API連携サービスの利用状況', en: 'Connected apps' },
  approvals: { ja: '申請・承認一覧', en: 'Applications and approvals' },
});

/** Why a session ended, when the user could not have known. */
export const SESSION_TEXTS = defineTexts({
  replaced: {
    ja: '別の場所でログインされたため、ログアウトしました。お心当たりがない場合は、ログインパスワードを変更してください。',
    en: 'You were logged out because someone logged in with your ID elsewhere. If that was not you, change your login password.',
  },
});

/** <パスワード設定条件> (seed 003 §4-4), listed under both password forms; numbers from the configured bounds. */
const PASSWORD_RULES_TEXTS = defineTexts({
  heading: { ja: '<パスワード設定条件>', en: '<Password rules>' },
  lettersAndDigits: { ja: '半角英数字をそれぞれ1種類以上使用してください', en: 'Use at least one letter and one digit' },
  length: (b: PasswordBounds) => ({ ja: `${b.minLength}〜${b.maxLength}文字以内の半角英数字記号`, en: `${b.minLength} to ${b.maxLength} characters` }),
  symbols: { ja: '使用可能な記号', en: 'Symbols allowed' },
  different: { ja: '取引パスワードとログインパスワードで同一のパスワードを設定することはできません。', en: 'The login password and the transaction password must differ.' },
  differentFromLogin: { ja: 'ログインパスワードと同一のパスワードを設定することはできません。', en: 'It must differ from your login password.' },
});

/** The message of a form the schema refused, naming the field (its label as on the screen). */
export const FORM_TEXTS = defineTexts({
  invalidField: (label: Text) => ({ ja: `${label.ja}の入力内容に誤りがあります。`, en: `Check the field ${label.en}.` }),
  invalidForm: { ja: '入力内容に誤りがあります。', en: 'The form contains an invalid value.' },
});

/** What `views/ib/_password-rules.eta` reads: the rules' texts, the configured bounds, the symbol set. */
export function passwordRulesData(lang: Lang, bounds: PasswordBounds) {
  return { rules: translate(PASSWORD_RULES_TEXTS, lang), bounds, passwordSymbols: PASSWORD_SYMBOLS };
}
