import { AppError } from '../shared/errors.ts';

/**
 * Seed 003 §4-4 <パスワード設定条件>: 半角英数字をそれぞれ1種類以上, and only these symbols. The login
 * reset and first-login screens list this set; the 取引パスワード再設定 screen of the seed also lists
 * `&`, `?` and `\`, but one rule for both passwords is easier to explain, so renkei uses the narrower set.
 */
export const PASSWORD_SYMBOLS = '!#$%()*+,-./:;<=>@[]^_`{|}~';

export interface PasswordBounds {
  minLength: number;
  maxLength: number;
}

export interface PasswordViolation {
  ja: string;
  en: string;
}

const ALLOWED = new Set([...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ...PASSWORD_SYMBOLS]);

/** Every rule the candidate breaks (empty when acceptable). Pure, for the screens and the services. */
export function passwordViolations(candidate: string, bounds: PasswordBounds): PasswordViolation[] {
  const out: PasswordViolation[] = [];
  if (candidate.length < bounds.minLength || candidate.length > bounds.maxLength) {
    out.push({ ja: `${bounds.minLength}〜${bounds.maxLength}文字で入力してください。`, en: `Use ${bounds.minLength} to ${bounds.maxLength} characters.` });
  }
  if (![...candidate].every((c) => ALLOWED.has(c))) {
    out.push({ ja: `使用できるのは半角英数字と記号 ${PASSWORD_SYMBOLS} です。`, en: `Use only ASCII letters, digits and the symbols ${PASSWORD_SYMBOLS}.` });
  }
  if (!/[A-Za-z]/.test(candidate) || !/[0-9]/.test(candidate)) {
    out.push({ ja: '半角英字と数字をそれぞれ1文字以上使用してください。', en: 'Use at least one letter and one digit.' });
  }
  return out;
}

/** Throws `password_policy` (400) naming every broken rule; `label` says which password it is. */
export function assertPassword(candidate: string, bounds: PasswordBounds, label: { ja: string; en: string }): void {
  const v = passwordViolations(candidate, bounds);
  if (v.length > 0) {
    throw new AppError(400, 'password_policy', {
      message: { ja: `${label.ja}: ${v.map((x) => x.ja).join(' ')}`, en: `${label.en}: ${v.map((x) => x.en).join(' ')}` },
    });
  }
}

export const LOGIN_PASSWORD_LABEL = { ja: 'ログインパスワード', en: 'Login password' } as const;
export const TRANSACTION_PASSWORD_LABEL = { ja: '取引パスワード', en: 'Transaction password' } as const;

export const samePasswords = () => new AppError(400, 'password_policy', {
  message: { ja: '取引パスワードとログインパスワードで同一のパスワードを設定することはできません。', en: 'The login password and the transaction password must differ.' },
});

export const confirmationMismatch = () => new AppError(400, 'password_policy', {
  message: { ja: '確認用のパスワードが一致しません。', en: 'The two passwords do not match.' },
});
