/**
 * The closed list of error codes renkei answers with, and their messages in Japanese and English.
 * One format everywhere outside the OAuth endpoints (whose format RFC 6749 fixes):
 * `{ errorCode, errorMessage, requestId }` (DESIGN §8, §11).
 */
export const ERROR_MESSAGES = {
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
  business_id_not_active: { ja: 'ビジネスID管理をお申込みいただいていません。', en: 'ビジネスID管理 (business ID management) is not active for this customer.' },
  group_limit_reached: { ja: 'グループは最大100個まで登録できます。', en: 'A customer can have at most 100 groups.' },
  user_limit_reached: { ja: 'ユーザーは最大100名まで登録できます。', en: 'A customer can have at most 100 users.' },
  group_name_taken: { ja: '同じ名前のグループが既に登録されています。', en: 'A group with this name already exists.' },
  invalid_permissions: { ja: '権限の設定に誤りがあります。', en: 'The permission settings are inconsistent.' },
  rate_limited: { ja: 'リクエストが多すぎます。しばらくしてから再度お試しください。', en: 'Too many requests. Please retry later.' },
  service_unavailable: { ja: 'ただいまサービスをご利用いただけません。しばらくしてから再度お試しください。', en: 'The service is temporarily unavailable. Please retry later.' },
  server_error: { ja: 'システムエラーが発生しました。', en: 'An internal error occurred.' },
} as const satisfies Record<string, { ja: string; en: string }>;

export type ErrorCode = keyof typeof ERROR_MESSAGES;
export type Lang = 'ja' | 'en';

export interface AppErrorOptions {
  /** Overrides the code's generic message, e.g. to name the rule that was broken. */
  message?: { ja: string; en: string };
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
  readonly messages: { ja: string; en: string };
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
