import { defineTexts, type Lang, type Text } from './i18n.ts';

/**
 * The closed list of error codes renkei answers with, and their messages in Japanese and English.
 * One format everywhere outside the OAuth endpoints (whose format RFC 6749 fixes):
 * `{ errorCode, errorMessage, requestId }` (DESIGN §8, §11).
 */
export const ERROR_MESSAGES = defineTexts({
  invalid_parameter: { ja: '入力内容に誤りがあります。', en: 'The request contains an invalid parameter.' },
  invalid_request: { ja: 'リクエストの形式が正しくありません。', en: 'The request is malformed.' },
  unsupported_media_type: { ja: 'このContent-Typeには対応していません。', en: 'This Content-Type is not supported.' },
  payload_too_large: { ja: 'リクエストが大きすぎます。', en: 'The request body is too large.' },
  not_found: { ja: 'お探しのページは見つかりませんでした。', en: 'The requested resource was not found.' },
  method_not_allowed: { ja: 'このメソッドには対応していません。', en: 'This method is not allowed here.' },
  invalid_token: { ja: 'アクセストークンが無効です。', en: 'The access token is invalid.' },
  invalid_dpop_proof: { ja: 'DPoP証明が無効です。', en: 'The DPoP proof is invalid.' },
  insufficient_scope: { ja: 'この操作に必要な権限（スコープ）がありません。', en: 'The token lacks the scope this endpoint requires.' },
  account_forbidden: { ja: 'この口座の情報は参照できません。', en: 'This account is not accessible.' },
  forbidden: { ja: 'この操作を行う権限がありません。', en: 'You are not allowed to perform this operation.' },
  conflict: { ja: '他の操作と競合しました。もう一度お試しください。', en: 'The request conflicts with the current state. Please retry.' },
  // Transfers (DESIGN §17): a refusal carries GMO's errorDetails / transferErrorDetails beside the message.
  transfer_refused: { ja: '振込を受け付けできませんでした。', en: 'The transfer was refused.' },
  idempotency_conflict: { ja: '同じIdempotency-Keyで異なる内容の依頼が既に受け付けられています。', en: 'A different request was already accepted with this Idempotency-Key.' },
  business_id_not_active: { ja: 'ビジネスID管理をお申込みいただいていません。', en: 'ビジネスID管理 (business ID management) is not active for this customer.' },
  // The generic texts name no number: the rule that refuses gives the message with its own limit.
  group_limit_reached: { ja: 'グループの登録数が上限に達しています。', en: 'The maximum number of groups has been reached.' },
  user_limit_reached: { ja: 'ユーザーの登録数が上限に達しています。', en: 'The maximum number of users has been reached.' },
  group_name_taken: { ja: '同じ名前のグループが既に登録されています。', en: 'A group with this name already exists.' },
  invalid_permissions: { ja: '権限の設定に誤りがあります。', en: 'The permission settings are inconsistent.' },
  // ビジネスID管理 and internet banking
  mail_unavailable: { ja: 'メールを送信できませんでした。しばらくしてから再度お試しください。', en: 'The mail could not be sent. Please retry later.' },
  csrf_invalid: { ja: '画面の有効期限が切れました。もう一度最初から操作してください。', en: 'This form has expired. Please start again.' },
  session_expired: { ja: 'ログインの有効期限が切れました。もう一度ログインしてください。', en: 'Your session has ended. Please log in again.' },
  login_failed: { ja: 'ログインIDまたはログインパスワードが正しくありません。', en: 'The login ID or login password is incorrect.' },
  user_locked: { ja: 'ログインパスワードがロックされています。管理者にロック解除を依頼してください。', en: 'Your login password is locked. Ask your administrator to unlock it.' },
  certificate_required: { ja: 'このお客さまは電子証明書でログインしてください。', en: 'This customer must log in with a client certificate.' },
  password_reset_pending: { ja: 'ログインパスワードが再設定中です。メールに記載のURLから新しいパスワードを設定してください。', en: 'Your login password was reset. Set a new one from the URL in the mail you received.' },
  setup_required: { ja: '初回ログイン時の設定を完了してください。', en: 'Complete the first-login setup first.' },
  password_policy: { ja: 'パスワードが設定条件を満たしていません。', en: 'The password does not meet the rules.' },
  transaction_password_wrong: { ja: '取引パスワードが正しくありません。', en: 'The transaction password is incorrect.' },
  transaction_password_locked: { ja: '取引パスワードがロックされています。管理者に取引パスワード再設定（ロック解除）を依頼してください。', en: 'Your transaction password is locked. Ask an administrator to reset it.' },
  mail_token_invalid: { ja: 'メールトークンが正しくないか、有効期限が切れています。「再発行」で新しいメールトークンを受け取ってください。', en: 'The mail token is wrong or has expired. Press 再発行 to receive a new one.' },
  change_expired: { ja: 'この手続きは有効期限切れか、既に完了しています。もう一度最初から操作してください。', en: 'This change has expired or was already completed. Please start again.' },
  self_protection: { ja: 'ご自身に対するこの操作はできません。', en: 'You cannot perform this operation on yourself.' },
  master_protected: { ja: '取引責任者（マスターユーザー）は変更・削除できません。', en: 'The master user cannot be changed or deleted.' },
  certificate_service_active: { ja: '電子証明書サービスを解約してから、ビジネスID管理を解約してください。', en: 'Cancel the certificate service before cancelling ビジネスID管理.' },
  business_id_already_active: { ja: 'ビジネスID管理は既にお申込み済みです。', en: 'ビジネスID管理 is already active.' },
  reset_invalid: { ja: '認証番号が正しくないか、有効期限が切れています。', en: 'The 認証番号 is wrong or has expired.' },
  rate_limited: { ja: 'リクエストが多すぎます。しばらくしてから再度お試しください。', en: 'Too many requests. Please retry later.' },
  service_unavailable: { ja: 'ただいまサービスをご利用いただけません。しばらくしてから再度お試しください。', en: 'The service is temporarily unavailable. Please retry later.' },
  server_error: { ja: 'システムエラーが発生しました。', en: 'An internal error occurred.' },
});

export type ErrorCode = keyof typeof ERROR_MESSAGES;

/**
 * The resource API is also served under GMO Aozora Net Bank's base paths (DESIGN §8 "Drop-in for GMO
 * integrations"); there the error body is GMO's `ErrorResponse`: `{ errorCode, errorMessage }` only,
 * `errorCode` 1–10 半角英数 and `errorMessage` at most 255 characters (swagger v1.1.12).
 */
export const GMO_API_BASES = { corporation: '/ganb/api/corporation/v1', personal: '/ganb/api/personal/v1' } as const;
export const GMO_ERROR_MESSAGE_MAX = 255;

/** Whether a request URL (path and query) is under one of GMO's base paths. */
export function isGmoApiPath(url: string): boolean {
  return Object.values(GMO_API_BASES).some((base) => url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`));
}

/**
 * Our codes as GMO-format `errorCode`s: `E` + the HTTP status + a serial. GMO publishes no list of
 * its own codes, so clients of its API branch on the HTTP status; these keep that status readable in
 * the code and tell our causes apart. Every code of the closed list has one (the compiler checks),
 * although only the API's and the generic HTTP ones can occur under the GMO paths.
 */
export const GMO_ERROR_CODES = {
  invalid_parameter: 'E400001',
  invalid_request: 'E400002',
  invalid_token: 'E401001',
  invalid_dpop_proof: 'E401002',
  insufficient_scope: 'E403001',
  account_forbidden: 'E403002',
  forbidden: 'E403003',
  not_found: 'E404001',
  method_not_allowed: 'E405001',
  conflict: 'E409001',
  idempotency_conflict: 'E409002',
  transfer_refused: 'E400003',
  payload_too_large: 'E413001',
  unsupported_media_type: 'E415001',
  rate_limited: 'E429001',
  server_error: 'E500001',
  mail_unavailable: 'E503002',
  service_unavailable: 'E503001',
  // Internet banking and ビジネスID管理 only: never answered under the GMO paths.
  business_id_not_active: 'E403101',
  group_limit_reached: 'E400101',
  user_limit_reached: 'E400102',
  group_name_taken: 'E400103',
  invalid_permissions: 'E400104',
  csrf_invalid: 'E403102',
  session_expired: 'E401101',
  login_failed: 'E401102',
  user_locked: 'E403103',
  certificate_required: 'E403104',
  password_reset_pending: 'E403105',
  setup_required: 'E403106',
  password_policy: 'E400105',
  transaction_password_wrong: 'E400106',
  transaction_password_locked: 'E403107',
  mail_token_invalid: 'E400107',
  change_expired: 'E400108',
  self_protection: 'E403108',
  master_protected: 'E403109',
  certificate_service_active: 'E409101',
  business_id_already_active: 'E409102',
  reset_invalid: 'E400109',
} as const satisfies Record<ErrorCode, string>;

export interface AppErrorOptions {
  /** Overrides the code's generic message, e.g. to name the rule that was broken. */
  message?: Text;
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
  /** Logged, never sent. */
  detail?: unknown;
  cause?: unknown;
}

/** An error whose status, code and message are safe to show the caller. */
export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly messages: Text;
  readonly headers: Record<string, string>;
  readonly detail: unknown;

  constructor(status: number, code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message?.en ?? ERROR_MESSAGES[code].en, { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.messages = options.message ?? ERROR_MESSAGES[code];
    this.headers = options.headers ?? {};
    this.detail = options.detail;
  }

  localized(lang: Lang): string {
    return this.messages[lang];
  }
}

export const serviceUnavailable = (cause?: unknown) =>
  new AppError(503, 'service_unavailable', { headers: { 'retry-after': '5' }, cause });

export const invalidParameter = (message?: Text, detail?: unknown) =>
  new AppError(400, 'invalid_parameter', { message, detail });
