import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CustomerKind } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import type { Mailer } from '../mail/mailer.ts';
import { GMO_ERROR_CODES, GMO_ERROR_MESSAGE_MAX, invalidParameter, isGmoApiPath } from '../shared/errors.ts';
import { LANG_COOKIE, pickLang } from '../shared/i18n.ts';
import { SCOPE } from '../shared/scopes.ts';
import { TransferRefused } from '../transfers/transfer-errors.ts';
import type { TransferSettings } from '../transfers/transfer-settings.ts';
import {
  cancelTransfer, quoteTransferFee, requestResult, requestTransfer, transferStatus, type TransferContext,
} from '../transfers/transfers.service.ts';
import { insufficientScope, invalidToken, wrongCustomerKind } from './api-errors.ts';
import { transferRequester } from './transfer-context.repository.ts';
import { securityFor } from './openapi-docs.ts';
import { TRANSFER_EXAMPLES, transferResponses } from './transfers-docs.ts';
import {
  IdempotencyHeadersSchema, TransferCancelRequestSchema, TransferCancelResponseSchema, TransferFeeResponseSchema, TransferRequestResponseSchema,
  TransferRequestResultQuerySchema, TransferRequestResultResponseSchema, TransferRequestSchema, TransferStatusQuerySchema, TransferStatusResponseSchema,
} from './transfers.schemas.ts';

/** Every 振込 endpoint needs the 利用業務 振込 (DESIGN §7 table). */
const SCOPES = [SCOPE.transfers] as const;

const BOUND = 'DPoP-bound access token with a DPoP proof, or a certificate-bound one as Bearer over the mutual-TLS origin.';
const TWO_PHASE = '振込は2段階です: API連携先が依頼し、お客さまがインターネットバンキングの「申請・承認一覧」で取引パスワードにより承認します (当日指定は承認と同時に実行、以後の日付は予約)。';

export interface TransfersRoutesOptions {
  db: Db;
  settings: TransferSettings;
  /** Hands over the mail a request wrote to the outbox (approvers notified); without it the jobs' sweeps do. */
  mailer?: Mailer;
  /** Under GMO's base paths: the kind of customer that API serves (others are refused), and not in the OpenAPI document. */
  gmo?: { customerKind: CustomerKind };
}

function requireTransfersScope(request: FastifyRequest): void {
  if (!SCOPES.some((s) => request.apiAuth.scopes.has(s))) throw insufficientScope(request.apiAuth.scheme, SCOPES.join(' '));
}

/**
 * A refused transfer's body (DESIGN §17): GMO's TransferError, i.e. the §8 error body (GMO's
 * ErrorResponse under the GMO paths) plus `errorDetails` and `transferErrorDetails`. Other errors go
 * on to the root error handler.
 */
async function transferErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (!(err instanceof TransferRefused)) throw err;
  const lang = pickLang(request.headers, request.cookies?.[LANG_COOKIE]);
  // The detail codes only: the messages may quote what the partner sent.
  const codes = [...err.errorDetails, ...err.transferErrorDetails.flatMap((i) => i.errorDetails)].map((d) => d.errorDetailsCode);
  request.log.info({ code: err.code, detailCodes: codes }, 'transfer refused');
  const errorMessage = err.localized(lang);
  const head = isGmoApiPath(request.url)
    ? { errorCode: GMO_ERROR_CODES[err.code], errorMessage: errorMessage.slice(0, GMO_ERROR_MESSAGE_MAX) }
    : { errorCode: err.code, errorMessage, requestId: request.id };
  return reply.code(err.status).headers(err.headers).type('application/json; charset=utf-8')
    .send({ ...head, errorDetails: err.errorDetails, transferErrorDetails: err.transferErrorDetails });
}

/** The domain's view of the caller: the grant's user, customer and accounts, and the request for audit rows. */
async function transferContextOf(db: Db, request: FastifyRequest): Promise<TransferContext> {
  const { grant, scheme } = request.apiAuth;
  const requester = await transferRequester(db, grant);
  if (!requester) throw invalidToken(scheme, 'the user is no longer active');
  return {
    userId: grant.userId, customerId: requester.customerId, clientId: grant.clientId, grantId: grant.grantId, grantAccountIds: requester.grantAccountIds,
    request: { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id },
  };
}

/** Printable ASCII without spaces, as keys such as UUIDs are (draft-ietf-httpapi-idempotency-key-header). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const IDEMPOTENCY_KEY_MESSAGE = {
  ja: 'Idempotency-Keyは印字可能なASCII文字（空白を除く）1〜255文字で指定してください。',
  en: 'Idempotency-Key must be 1–255 printable ASCII characters without spaces.',
};

/** The `Idempotency-Key` header: one value of printable ASCII (its length is bounded by the route schema too). */
function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) throw invalidParameter(IDEMPOTENCY_KEY_MESSAGE);
  return value;
}

/**
 * POST /transfer/transferfee, /transfer/request, /transfer/cancel and GET /transfer/request-result,
 * /transfer/status (DESIGN §17, GMO Aozora's 振込 API). Authentication runs before these; the scope
 * is checked here, everything about the account, the user's rights and the amounts in the domain.
 */
export async function transfersRoutes(fastify: FastifyInstance, opts: TransfersRoutesOptions): Promise<void> {
  const { db, gmo, settings, mailer } = opts;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  if (gmo) {
    app.addHook('preValidation', async function servedCustomerKind(request) {
      if (request.apiAuth.customerKind !== gmo.customerKind) throw wrongCustomerKind(gmo.customerKind);
    });
  }
  // The scope before the body is validated: a partner without 振込 learns that first, whatever it sent.
  app.addHook('preValidation', async function transfersScope(request) {
    requireTransfersScope(request);
  });
  app.setErrorHandler(transferErrorHandler);
  const hide = gmo !== undefined;
  const security = securityFor(SCOPES);
  const ctxOf = (request: FastifyRequest) => transferContextOf(db, request);

  app.post('/transfer/transferfee', {
    schema: {
      hide, summary: '振込手数料事前照会', tags: ['transfers'], security, body: TransferRequestSchema,
      description: `振込依頼と同じ内容で、振込手数料を事前に照会します (依頼はしません)。スコープ transfers。${BOUND}`,
      response: transferResponses(200, { description: '明細ごとの振込手数料と合計', schema: TransferFeeResponseSchema, example: TRANSFER_EXAMPLES.fee }),
    },
  }, async (request) => quoteTransferFee(db, await ctxOf(request), request.body, new Date(), settings));

  app.post('/transfer/request', {
    schema: {
      hide, summary: '振込依頼', tags: ['transfers'], security, body: TransferRequestSchema, headers: IdempotencyHeadersSchema,
      description: `振込を依頼します。${TWO_PHASE} 結果コード 2 (未完了) で受け付け、applyNo で結果・状況を照会します。`
        + ` 引落口座に振込・振替の権限が必要で、各明細の金額は口座の振込限度額以下です。Idempotency-Key ヘッダーで安全に再送できます。スコープ transfers。${BOUND}`,
      response: transferResponses(201, { description: '受け付けました (結果コード 2: 承認待ち)', schema: TransferRequestResponseSchema, example: TRANSFER_EXAMPLES.request }, { idempotency: true }),
    },
  }, async (request, reply) => {
    const result = await requestTransfer(db, await ctxOf(request), request.body, idempotencyKeyOf(request), new Date(), settings);
    // The application is committed: a mail that cannot be handed over now stays in the outbox for the sweeps.
    if (mailer && result.mailIds.length) await mailer.deliverStored();
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(result.status).send(result.body);
  });

  app.get('/transfer/request-result', {
    schema: {
      hide, summary: '振込依頼結果照会', tags: ['transfers'], security, querystring: TransferRequestResultQuerySchema,
      description: `振込依頼の結果 (1 完了 / 2 未完了 / 8 期限切)。スコープ transfers。${BOUND}`,
      response: transferResponses(200, { description: '振込依頼の結果', schema: TransferRequestResultResponseSchema, example: TRANSFER_EXAMPLES.result }),
    },
  }, async (request) => requestResult(db, await ctxOf(request), request.query, new Date()));

  app.get('/transfer/status', {
    schema: {
      hide, summary: '振込状況照会', tags: ['transfers'], security, querystring: TransferStatusQuerySchema,
      description: '振込の状況と履歴。queryKeyClass=1 は applyNo の1件、queryKeyClass=2 は期間 (dateFrom, dateTo) の一覧で、1ページ最大500件、続きは同じリクエストに nextItemKey を加えます。'
        + ` 申請者・決裁者の名前とコメント (transferApplies) を含みます。スコープ transfers。${BOUND}`,
      response: transferResponses(200, { description: '振込照会明細情報', schema: TransferStatusResponseSchema, example: TRANSFER_EXAMPLES.status }),
    },
  }, async (request) => transferStatus(db, await ctxOf(request), request.query, new Date()));

  app.post('/transfer/cancel', {
    schema: {
      hide, summary: '振込取消依頼', tags: ['transfers'], security, body: TransferCancelRequestSchema,
      description: `申請中 (承認待ち) の振込依頼を取り下げます (cancelTargetKeyClass 1)。取消後の振込ステータスは 4 取下げです。スコープ transfers。${BOUND}`,
      response: transferResponses(201, { description: '取り下げました', schema: TransferCancelResponseSchema, example: TRANSFER_EXAMPLES.cancel }),
    },
  }, async (request, reply) => reply.code(201).send(await cancelTransfer(db, await ctxOf(request), request.body, new Date())));
}
