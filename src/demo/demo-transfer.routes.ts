import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { jstDate } from '../shared/jst.ts';
import { SCOPE } from '../shared/scopes.ts';
import { ApiCallError, type Account } from './demo-bank-api.ts';
import type { DemoContext } from './demo-context.ts';
import { formatAmount } from './demo-pages.ts';
import type { DemoSession } from './demo-sessions.ts';
import { NoQuery, TransferForm, TransferStatusQuery } from './demo.schemas.ts';

/** What the demo reads of 振込依頼 and 振込状況照会 (DESIGN §17, GMO's shapes). */
interface RequestResponse { accountId: string; resultCode: string; applyNo: string; applyEndDatetime?: string }
interface StatusResponse {
  transferDetails?: {
    transferStatus: string; transferStatusName?: string; totalDebitAmount?: string; transferDetailFee?: string;
    transferApplies?: { applyNo?: string; transferApplyDetails?: { applyDatetime?: string; applyUser?: string; approvalUser?: string; applyComment?: string }[] }[];
    transferResponses?: { transferDesignatedDate?: string; transferInfos?: { transferAmount?: string; beneficiaryName?: string; beneficiaryBankCode?: string; beneficiaryBranchCode?: string; accountNumber?: string }[] }[];
  }[];
}
interface ResultResponse { resultCode: string; applyEndDatetime?: string }

/**
 * The sample beneficiary the form starts with: the bank's demo customer 青空 花子 (DESIGN §9), whose
 * account is in this bank, so the demo shows both the debit and her credit once approved. The partner
 * knows it as any app knows a payee its user entered; the visitor may change every field.
 */
const SAMPLE_BENEFICIARY = {
  beneficiaryBankCode: '0310', beneficiaryBranchCode: '100', accountTypeCode: '1', accountNumber: '2000123', beneficiaryName: 'ｱｵｿﾞﾗ ﾊﾅｺ',
  label: 'れんけい銀行（0310） 本店営業部（100） 普通 2000123 青空 花子',
} as const;

/** 振込ステータス as the demo explains it to the visitor (GMO's codes). */
const STATUS_TEXTS: Record<string, { name: string; note: string }> = {
  2: { name: '申請中', note: '銀行のインターネットバンキングで、承認権限のある方が「申請・承認一覧」から承認すると振込が実行されます。承認されるまで口座からの引落しはありません。' },
  3: { name: '差戻', note: '銀行で差し戻されました。振込は実行されません。' },
  4: { name: '取下げ', note: '依頼は取り下げられました。振込は実行されません。' },
  5: { name: '期限切れ', note: '承認期限までに承認されなかったため、振込は実行されません。' },
  11: { name: '予約中', note: '承認されました。振込指定日に実行されます。' },
  20: { name: '手続済', note: '振込が実行されました。' },
  40: { name: '手続不成立', note: '振込指定日に実行できませんでした（残高不足など）。' },
};

/** Ordinary yen accounts (01, 02): the only ones a transfer can debit. */
const debitable = (accounts: Account[]) => accounts.filter((a) => a.accountTypeCode === '01' || a.accountTypeCode === '02');

const label = (a: Account) => `${a.branchName ?? ''}（${a.branchCode ?? ''}） ${a.accountTypeName} ${a.accountNumber ?? a.accountId}`;

/**
 * 振込を依頼する: the partner asks the bank for a transfer from a linked account (振込依頼, with an
 * Idempotency-Key per form so a resubmitted form never asks twice), then shows the application's
 * status as the bank reports it. The transfer itself waits for the customer's approval at the bank.
 */
export function demoTransferRoutes(parent: FastifyInstance, ctx: DemoContext): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { api, pages, sessions } = ctx;

  const notAllowed = (reply: FastifyReply) => pages.message(reply, {
    title: '振込を依頼する', kind: 'notice', errorCode: 'insufficient_scope',
    message: '振込は許可されていません。口座を連携し直し、銀行の画面で利用業務「振込」を選んで許可してください。', back: '/demo/accounts',
  }, 403);

  const formPage = async (reply: FastifyReply, s: DemoSession, values: Record<string, string>, failure?: { message: string; code: string; details: string[] }, status = 200) => {
    // 口座一覧照会 needs 残高照会 or 入出金明細照会; with 振込 alone the visitor types the account's 口座ID.
    const scopes = s.tokens?.scope.split(' ') ?? [];
    const canList = scopes.includes(SCOPE.balances) || scopes.includes(SCOPE.transactions);
    const accounts = canList ? debitable((await api.get<{ accounts: Account[] }>(s, '/accounts')).accounts).map((a) => ({ id: a.accountId, label: label(a) })) : null;
    return pages.render(reply, 'transfer', {
      title: '振込を依頼する', csrfToken: reply.formToken(), accounts, values, failure,
      beneficiaryLabel: SAMPLE_BENEFICIARY.label,
      recent: (s.transfers ?? []).slice(-5).reverse(),
    }, status);
  };

  app.get('/demo/transfer', { schema: { querystring: NoQuery } }, async function transferForm(request, reply) {
    const s = sessions.current(request);
    if (!s?.tokens) return pages.expired(reply);
    if (!s.tokens.scope.split(' ').includes(SCOPE.transfers)) return notAllowed(reply);
    try {
      return await formPage(reply, s, {
        idempotencyKey: randomUUID(),
        beneficiaryBankCode: SAMPLE_BENEFICIARY.beneficiaryBankCode,
        beneficiaryBranchCode: SAMPLE_BENEFICIARY.beneficiaryBranchCode,
        accountTypeCode: SAMPLE_BENEFICIARY.accountTypeCode,
        accountNumber: SAMPLE_BENEFICIARY.accountNumber,
        beneficiaryName: SAMPLE_BENEFICIARY.beneficiaryName,
        transferAmount: '1000',
        transferDesignatedDate: jstDate(),
      });
    } catch (err) {
      return pages.apiFailure(request, reply, s, err);
    }
  });

  app.post('/demo/transfer', { schema: { body: TransferForm }, attachValidation: true, preHandler: ctx.verifyForm }, async function requestTransfer(request, reply) {
    const s = sessions.current(request);
    if (!s?.tokens) return pages.expired(reply);
    if (!s.tokens.scope.split(' ').includes(SCOPE.transfers)) return notAllowed(reply);
    const { _csrf: _token, ...values } = request.body;
    try {
      if (request.validationError) {
        return await formPage(reply, s, { ...values, idempotencyKey: randomUUID() }, { code: 'invalid_parameter', message: '入力内容を確認してください（金額は数字、日付は YYYY-MM-DD）。', details: [] }, 400);
      }
      const body = {
        accountId: values.accountId,
        transferDesignatedDate: values.transferDesignatedDate,
        ...(values.applyComment ? { applyComment: values.applyComment } : {}),
        transfers: [{
          itemId: '1', transferAmount: values.transferAmount, beneficiaryBankCode: values.beneficiaryBankCode, beneficiaryBranchCode: values.beneficiaryBranchCode,
          accountTypeCode: values.accountTypeCode, accountNumber: values.accountNumber, beneficiaryName: values.beneficiaryName,
        }],
      };
      const res = await api.post<RequestResponse>(s, '/transfer/request', body, { 'idempotency-key': values.idempotencyKey });
      if (!(s.transfers ??= []).some((t) => t.applyNo === res.applyNo)) {
        s.transfers.push({ applyNo: res.applyNo, accountId: res.accountId, amount: formatAmount(values.transferAmount, 'JPY'), requestedAt: new Date().toISOString() });
      }
      return await reply.redirect(`/demo/transfer/status?${new URLSearchParams({ accountId: res.accountId, applyNo: res.applyNo })}`, 303);
    } catch (err) {
      // A refused transfer: the form again, with the bank's reasons (GMO's errorDetails / transferErrorDetails).
      if (err instanceof ApiCallError && (err.status === 400 || err.status === 409 || (err.status === 403 && err.code !== 'insufficient_scope'))) {
        return formPage(reply, s, { ...values, idempotencyKey: randomUUID() }, { code: err.code, message: err.message, details: err.details }, err.status);
      }
      return pages.apiFailure(request, reply, s, err);
    }
  });

  app.get('/demo/transfer/status', { schema: { querystring: TransferStatusQuery }, attachValidation: true }, async function transferStatus(request, reply) {
    const s = sessions.current(request);
    if (!s?.tokens) return pages.expired(reply);
    if (request.validationError) return pages.invalidParameter(reply, '振込の状況', '/demo/transfer');
    const { accountId, applyNo } = request.query;
    try {
      const [status, result] = await Promise.all([
        api.get<StatusResponse>(s, '/transfer/status', { accountId, queryKeyClass: '1', applyNo }),
        api.get<ResultResponse>(s, '/transfer/request-result', { accountId, applyNo }),
      ]);
      const d = status.transferDetails?.[0];
      const info = d?.transferResponses?.[0]?.transferInfos?.[0];
      const apply = d?.transferApplies?.[0]?.transferApplyDetails?.[0];
      const known = d ? STATUS_TEXTS[d.transferStatus] : undefined;
      return await pages.render(reply, 'transfer-status', {
        title: '振込の状況', accountId, applyNo,
        transferStatus: d?.transferStatus, statusName: d?.transferStatusName ?? known?.name ?? d?.transferStatus, note: known?.note,
        resultCode: result.resultCode, applyEndDatetime: result.applyEndDatetime,
        amount: info?.transferAmount ? formatAmount(info.transferAmount, 'JPY') : undefined,
        totalDebit: d?.totalDebitAmount ? formatAmount(d.totalDebitAmount, 'JPY') : undefined,
        beneficiary: info ? `${info.beneficiaryName ?? ''}（${info.beneficiaryBankCode ?? ''}-${info.beneficiaryBranchCode ?? ''} ${info.accountNumber ?? ''}）` : undefined,
        designatedDate: d?.transferResponses?.[0]?.transferDesignatedDate,
        applyUser: apply?.applyUser, approvalUser: apply?.approvalUser, applyDatetime: apply?.applyDatetime,
        refresh: `/demo/transfer/status?${new URLSearchParams({ accountId, applyNo })}`,
      });
    } catch (err) {
      return pages.apiFailure(request, reply, s, err);
    }
  });
}
