import type { FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { ApiCallError } from './demo-bank-api.ts';
import type { PartnerBrand } from './demo-partner.ts';
import type { DemoSession } from './demo-sessions.ts';

/** The demo's own pages (Japanese only: a Japanese partner's app). */
interface MessagePage {
  title: string;
  kind: 'alert' | 'notice';
  message: string;
  errorCode?: string;
  back?: string;
}

/** Thousands separators on the API's decimal strings (no floating point). */
export function formatAmount(value: string, currency: string): string {
  const neg = value.startsWith('-');
  const [int = '0', frac] = (neg ? value.slice(1) : value).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = neg ? '-' : '';
  return currency === 'JPY' ? `${sign}${grouped}円` : `${sign}${grouped}${frac !== undefined ? `.${frac}` : ''} ${currency}`;
}

/** Renders the demo's views with the partner's header; each failure the visitor can meet has its page. */
export class DemoPages {
  private readonly brand: () => Promise<PartnerBrand | undefined>;

  constructor(brand: () => Promise<PartnerBrand | undefined>) {
    this.brand = brand;
  }

  async render(reply: FastifyReply, view: string, data: Record<string, unknown>, status = 200): Promise<FastifyReply> {
    const html = await reply.viewAsync(`demo/${view}`, { lang: 'ja', partner: await this.brand(), ...data });
    return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  }

  message(reply: FastifyReply, page: MessagePage, status = 200): Promise<FastifyReply> {
    return this.render(reply, 'message', { ...page }, status);
  }

  /** No session, a session not linked yet, or a form that does not belong to this session. */
  expired(reply: FastifyReply): Promise<FastifyReply> {
    return this.message(reply, {
      title: 'セッションの有効期限が切れました', kind: 'alert', errorCode: 'session_expired',
      message: '操作の有効期限が切れたか、まだ口座が連携されていません。もう一度「口座を連携する」からお試しください。',
    }, 401);
  }

  /** A link or address the demo did not make. */
  invalidParameter(reply: FastifyReply, title: string, back: string): Promise<FastifyReply> {
    return this.message(reply, { title, kind: 'alert', errorCode: 'invalid_parameter', message: '指定された条件が正しくありません。', back }, 400);
  }

  /** The bank's server could not be reached or answered something unusable: a page, not a 500. */
  unreachable(request: FastifyRequest, reply: FastifyReply, err: unknown): Promise<FastifyReply> {
    request.log.warn({ err }, 'demo: a call to the bank failed');
    return this.message(reply, {
      title: '銀行に接続できませんでした', kind: 'alert', errorCode: 'bank_unavailable',
      message: 'れんけい銀行のサーバーに接続できませんでした。しばらくしてから、もう一度お試しください。', back: '/demo',
    }, 502);
  }

  /** Shows why an API call failed: a lost grant sends the visitor back to the start. */
  apiFailure(request: FastifyRequest, reply: FastifyReply, s: DemoSession, err: unknown): Promise<FastifyReply> {
    if (err instanceof ApiCallError || err instanceof client.ResponseBodyError) {
      const status = err instanceof ApiCallError ? err.status : 401;
      const code = err instanceof ApiCallError ? err.code : err.error;
      if (status === 401 || code === 'invalid_grant') {
        delete s.tokens;
        return this.expired(reply);
      }
      return this.message(reply, {
        title: '口座情報を取得できませんでした', kind: 'alert', errorCode: code, message: err.message, back: '/demo/accounts',
      }, status === 400 || status === 403 ? status : 502);
    }
    return this.unreachable(request, reply, err);
  }

  /**
   * The bank sent the visitor back without a code. `access_denied` covers several endings; the bank
   * tells them apart in `error_description`, and the demo says which one happened.
   */
  authorizationRefused(reply: FastifyReply, err: client.AuthorizationResponseError): Promise<FastifyReply> {
    const denied = err.error === 'access_denied';
    const ending = denied ? DENIAL_MESSAGES[err.error_description ?? ''] : undefined;
    return this.message(reply, {
      title: ending?.title ?? (denied ? '口座の連携が許可されませんでした' : '口座を連携できませんでした'),
      kind: denied ? 'notice' : 'alert', errorCode: err.error,
      message: ending?.message ?? (denied
        ? `口座の連携は許可されませんでした（${err.error_description ?? err.error}）。かんたん家計簿は口座の情報を取得していません。連携する場合は、もう一度お試しください。`
        : `銀行から連携の失敗が返されました（${err.error_description ?? err.error}）。もう一度お試しください。`),
      back: '/demo',
    }, denied ? 200 : 400);
  }

  /** An authorization response that could not be checked (state, issuer, code). */
  invalidResponse(reply: FastifyReply): Promise<FastifyReply> {
    return this.message(reply, {
      title: '口座を連携できませんでした', kind: 'alert', errorCode: 'invalid_response',
      message: '銀行からの応答を確認できませんでした。もう一度「口座を連携する」からお試しください。', back: '/demo',
    }, 400);
  }
}

/** The bank's `error_description` with `access_denied`, for each way a journey ends without a grant. */
const DENIAL_MESSAGES: Record<string, { title: string; message: string }> = {
  'the account holder denied the access': {
    title: '口座の連携が許可されませんでした',
    message: '銀行の画面で「拒否」が選ばれたため、かんたん家計簿は口座の情報を取得していません。連携する場合は、もう一度お試しください。',
  },
  'the account holder cancelled': {
    title: '口座の連携を中止しました',
    message: '銀行の画面で「中止する」が選ばれたため、連携の手続きは行われませんでした。連携する場合は、もう一度お試しください。',
  },
  'no account can be connected': {
    title: '連携できる口座がありませんでした',
    message: '銀行の画面で、連携できる口座（照会用暗証番号が登録済みでロックされていない口座）が見つかりませんでした。口座の状態を銀行にご確認のうえ、もう一度お試しください。',
  },
  'the journey expired before the account holder finished': {
    title: '銀行での手続きの有効期限が切れました',
    message: '銀行の画面での手続きが有効期限（10分）内に完了しなかったため、連携は行われませんでした。もう一度お試しください。',
  },
};
