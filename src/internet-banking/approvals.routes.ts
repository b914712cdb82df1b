import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatAmount } from '../accounts/account-types.ts';
import type { Actor } from '../business-id/actor.ts';
import type { Db } from '../db/transaction.ts';
import { translate, type Lang } from '../shared/i18n.ts';
import { SITE } from '../shared/site.texts.ts';
import {
  approveApplication, getApplication, listApplications, MAX_DECISION_COMMENT, returnApplication, withdrawApplication, type ApplicationRow,
} from '../transfers/approvals.service.ts';
import { APPROVAL_REFUSAL_TEXTS, TRANSFER_STATUS_NAMES } from '../transfers/transfer-rules.ts';
import { APPROVALS_TEXTS } from './approvals.texts.ts';
import { formError, inputRefusal, jstDateTime, langOf, render, requestContext, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { CsrfField, FormText, LangQuery } from './ib.schemas.ts';

const STATUSES = ['pending', 'returned', 'withdrawn', 'expired', 'scheduled', 'executed', 'failed'] as const;
type Status = (typeof STATUSES)[number];

const ListQuery = Type.Object({
  ...LangQuery,
  status: Type.Optional(Type.Union([
    Type.Literal('pending'), Type.Literal('returned'), Type.Literal('withdrawn'), Type.Literal('expired'),
    Type.Literal('scheduled'), Type.Literal('executed'), Type.Literal('failed'),
  ])),
  page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
});
const ApplicationParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const PageQuery = Type.Object(LangQuery);
type Decision = 'approve' | 'return' | 'withdraw';
const DecisionBody = Type.Object({
  ...CsrfField,
  // The version the screen showed: a decision on what another user changed meanwhile is refused (409).
  version: Type.String({ pattern: '^[0-9]{1,9}$' }),
  decision: Type.Union([Type.Literal('approve'), Type.Literal('return'), Type.Literal('withdraw')]),
  transactionPassword: Type.String({ minLength: 1, maxLength: 128 }),
  comment: Type.Optional(FormText(MAX_DECISION_COMMENT)),
});

const FIELD_LABELS = { transactionPassword: APPROVALS_TEXTS.transactionPassword, comment: APPROVALS_TEXTS.comment };

type Texts = ReturnType<typeof translate<typeof APPROVALS_TEXTS>>;

/** Whose applications the list shows, in words: the customer's, those of the accounts one approves for, or one's own. */
function scopeOf(actor: Actor, rows: ApplicationRow[]): 'leadAll' | 'leadApprover' | 'leadOwn' {
  if (actor.customerKind === 'corporate' && actor.role === 'master') return 'leadAll';
  return rows.some((r) => !r.own) ? 'leadApprover' : 'leadOwn';
}

const slashDate = (day: string) => day.replaceAll('-', '/');

/** One transfer's beneficiary in words: this bank by name, others by their codes (the bank list is not modelled). */
function beneficiaryOf(item: ApplicationRow['items'][number], t: Texts, lang: Lang) {
  const types: Record<string, string> = t.beneficiaryTypes;
  return {
    bank: item.inBank ? SITE[lang].bank : t.bankCode(item.beneficiaryBankCode),
    branch: t.branchCode(item.beneficiaryBranchCode),
    type: types[item.accountTypeCode] ?? item.accountTypeCode,
    number: item.accountNumber,
    name: item.beneficiaryName,
  };
}

/** An application as the screens show it: names in words, amounts in yen, instants in Japan time. */
function viewOf(row: ApplicationRow, t: Texts, lang: Lang) {
  const yen = (amount: string) => formatAmount(amount, 'JPY', lang);
  const refusals = translate(APPROVAL_REFUSAL_TEXTS, lang);
  const pending = row.status === 'pending';
  const first = row.items[0];
  return {
    id: row.id,
    applyNo: row.applyNo,
    status: row.status,
    statusName: translate(TRANSFER_STATUS_NAMES, lang)[row.status],
    pending,
    appliedAt: jstDateTime(row.createdAt),
    applyEnd: pending ? jstDateTime(row.applyEndAt) : undefined,
    requester: `${row.requesterName}（${row.requesterLoginId}）`,
    account: row.accountLabel,
    beneficiary: first ? beneficiaryOf(first, t, lang) : undefined,
    moreItems: row.itemCount > 1 ? t.moreItems(row.itemCount - 1) : undefined,
    amount: yen(row.totalAmount),
    fee: yen(row.totalFee),
    itemCount: row.itemCount,
    partner: row.partnerServiceName,
    company: row.partnerLegalName,
    designatedDate: slashDate(row.designatedDate),
    decidedBy: row.decidedByName,
    decidedAt: row.decidedAt ? jstDateTime(row.decidedAt) : undefined,
    comment: row.decisionComment,
    executedAt: row.executedAt ? jstDateTime(row.executedAt) : undefined,
    version: row.version,
    mayApprove: pending && row.canApprove,
    mayReturn: pending && row.canReturn,
    mayWithdraw: pending && row.canWithdraw,
    // Why 承認 is not offered, when the actor could otherwise act on it (the approval matrix's reason).
    refusal: pending && !row.canApprove && row.approveRefusal ? refusals[row.approveRefusal] : undefined,
    items: row.items.map((i) => ({ itemId: i.itemId, ...beneficiaryOf(i, t, lang), amount: yen(i.amount), fee: yen(i.fee), ediInfo: i.ediInfo ?? '' })),
  };
}

/** The list's tab and page links keep each other. */
function listHref(status: Status | undefined, page = 1): string {
  const q = new URLSearchParams();
  if (status) q.set('status', status);
  if (page > 1) q.set('page', String(page));
  const s = q.toString();
  return s ? `/ib/approvals?${s}` : '/ib/approvals';
}

/** The 申請内容確認 screen, also shown again with the refusal of a decision. */
async function detailPage(db: Db, request: FastifyRequest, reply: FastifyReply, id: string, data: Record<string, unknown> = {}, status = 200) {
  const lang = langOf(request);
  const t = translate(APPROVALS_TEXTS, lang);
  const row = await getApplication(db, request.ibActor!, id, new Date());
  return render(request, reply, 'ib/approval', { t, a: viewOf(row, t, lang), ...data }, status);
}

const DECIDE = { approve: approveApplication, return: returnApplication, withdraw: withdrawApplication } as const satisfies Record<Decision, unknown>;

/** The result screen's title by what the application became. */
const RESULT_OF: Partial<Record<Status, Decision>> = { executed: 'approve', scheduled: 'approve', failed: 'approve', returned: 'return', withdrawn: 'withdraw' };

/**
 * 申請・承認一覧 (DESIGN §17): the transfers partners asked for, 申請内容確認 with 承認 / 差戻 / 取下げ each
 * confirmed with the 取引パスワード, and the result. Who sees and may decide what is the domain's rule
 * (src/transfers/approvals.service.ts); this surface shows it and says why 承認 is not offered.
 */
export const approvalScreens: FastifyPluginAsyncTypebox<IbScreenOptions> = async function approvalScreens(app, deps) {
  const { db } = deps;
  const preHandler = requireSession(deps);

  app.get('/ib/approvals', { schema: { querystring: ListQuery }, preHandler }, async function showApplications(request, reply) {
    const actor = request.ibActor!;
    const lang = langOf(request);
    const t = translate(APPROVALS_TEXTS, lang);
    const { status } = request.query;
    const page = Number(request.query.page ?? '1');
    // The domain counts pages from 0; the URL from 1, as people do.
    const { rows, hasMore } = await listApplications(db, actor, { status, page: page - 1 }, new Date());
    const names = translate(TRANSFER_STATUS_NAMES, lang);
    const tabs = [
      { href: listHref(undefined), label: t.all, current: !status },
      ...STATUSES.map((s) => ({ href: listHref(s), label: names[s], current: status === s })),
    ];
    return render(request, reply, 'ib/approvals', {
      t, tabs, scope: scopeOf(actor, rows), lines: rows.map((r) => viewOf(r, t, lang)),
      newerLink: page > 1 ? listHref(status, page - 1) : undefined, olderLink: hasMore ? listHref(status, page + 1) : undefined,
    });
  });

  app.get('/ib/approvals/:id', { schema: { params: ApplicationParams, querystring: PageQuery }, preHandler }, async function showApplication(request, reply) {
    return detailPage(db, request, reply, request.params.id);
  });

  app.post('/ib/approvals/:id', {
    schema: { params: ApplicationParams, body: DecisionBody }, attachValidation: true, preHandler: [preHandler, deps.verifyForm],
  }, async function decide(request, reply) {
    const lang = langOf(request);
    const { id } = request.params;
    const comment = typeof request.body?.comment === 'string' ? request.body.comment : '';
    try {
      if (request.validationError) throw inputRefusal(request.validationError, FIELD_LABELS);
      const { decision, version, transactionPassword } = request.body;
      const input = { applicationId: id, version: Number(version), transactionPassword, comment: comment || undefined, context: requestContext(request) };
      await DECIDE[decision](db, request.ibActor!, input, new Date());
    } catch (err) {
      const e = formError(err, lang);
      if (e.status === 404) throw err;
      // A wrong 取引パスワード, a refusal of the approval matrix, or another user deciding first (409, the
      // version moved): the application as it is now, with the domain's message.
      return detailPage(db, request, reply, id, { error: e.message, comment }, e.status);
    }
    // The decision's mails (to the requester) committed with it; hand them over now (failures stay stored).
    await deps.mailer.deliverStored();
    return reply.redirect(`/ib/approvals/${id}/result`, 303);
  });

  app.get('/ib/approvals/:id/result', { schema: { params: ApplicationParams, querystring: PageQuery }, preHandler }, async function showResult(request, reply) {
    const lang = langOf(request);
    const t = translate(APPROVALS_TEXTS, lang);
    const row = await getApplication(db, request.ibActor!, request.params.id, new Date());
    const decision = RESULT_OF[row.status];
    // Nothing was decided (a typed URL, or the application expired): the application itself.
    if (!decision || row.status === 'expired') return reply.redirect(`/ib/approvals/${row.id}`, 303);
    const resultText: Record<string, string> = t.resultText;
    return render(request, reply, 'ib/approval-done', { t, a: viewOf(row, t, lang), title: t.result[decision], message: resultText[row.status] });
  });
};
