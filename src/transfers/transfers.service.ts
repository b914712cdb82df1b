import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { jstDayStart, recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import { canonicalJson } from '../business-id/confirmations.service.ts';
import type { TransferApplicationStatus } from '../db/database.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { enqueueMails } from '../mail/outbox.repository.ts';
import { AppError, invalidParameter } from '../shared/errors.ts';
import { jstDate, jstParts } from '../shared/jst.ts';
import { IdempotencyConflict, TransferRefused, type ErrorDetail, type TransferErrorDetail } from './transfer-errors.ts';
import { awaitingApprovalMail } from './transfer-mails.ts';
import { checkTransferRequest, DETAIL, type CheckedItem, type CheckedRequest, type TransferRequestBody } from './transfer-request.ts';
import { TRANSFER_STATUS_CODES, TRANSFER_STATUS_NAMES, transferFee } from './transfer-rules.ts';
import { DEFAULT_TRANSFER_SETTINGS, type TransferSettings } from './transfer-settings.ts';
import { approverAddresses, jstDateTime, loadApplication, loadApplications, mailFacts, newApplyNo, type ApplicationRecord } from './transfers.repository.ts';

export type { TransferRequestBody } from './transfer-request.ts';

/**
 * 振込 through the API (DESIGN §17, GMO Aozora's two-phase model): a partner requests (振込依頼), the customer
 * approves in internet banking (approvals.service.ts), execution follows (execution.ts). Permission is checked
 * at the moment of each call, as for reads (DESIGN §5): the grant covers the account, the user is active, the
 * PIN registration stands, and the user holds 振込・振替 on the account (the master user and individual
 * customers hold every right); each amount is within the account's 振込限度額.
 */

/** The caller as the resource API knows it: the grant's user and client, and the accounts the grant covers. */
export interface TransferContext {
  userId: string;
  customerId: string;
  clientId: string;
  grantId: string | null;
  /** accounts.id of the accounts the grant covers. */
  grantAccountIds: string[];
  /** For the audit rows. */
  request?: RequestContext | undefined;
}

export interface TransferRequestResponse {
  accountId: string;
  resultCode: '2';
  applyNo: string;
  applyEndDatetime: string;
}

export interface RequestTransferResult {
  status: 201;
  body: TransferRequestResponse;
  /** True when an earlier request with the same Idempotency-Key and body answered this. */
  replayed: boolean;
  /** Outbox rows written (approvers notified): the surface hands them over after the commit. */
  mailIds: string[];
}

interface DebitAccount {
  id: string;
  publicId: string;
  accountNameKana: string;
  transferLimit: bigint | null;
}

interface PreparedItem extends CheckedItem {
  fee: bigint;
  beneficiaryAccountId: string | null;
}

interface Prepared {
  request: CheckedRequest;
  account: DebitAccount;
  items: PreparedItem[];
  totalFee: bigint;
}

const wholeYen = (v: string | null): bigint | null => (v === null ? null : BigInt(String(v).split('.')[0]!));

async function auditRefusal(db: Db, ctx: TransferContext, reason: string, details: Record<string, unknown> = {}): Promise<void> {
  await recordAudit(db, {
    type: 'transfer.refused', outcome: 'failure', customerId: ctx.customerId, actorUserId: ctx.userId,
    details: { clientId: ctx.clientId, reason, ...details }, context: ctx.request,
  });
}

const notTransferable = () => new AppError(403, 'forbidden', {
  message: { ja: 'この口座の振込・振替権限がありません。', en: 'The user has no transfer right on this account.' },
});

/**
 * The account a call acts on, or the refusal: 401 when the user is no longer active, 403 account_forbidden
 * when the account is unknown, not covered by the grant, not seen by the user or not registered with its
 * PIN (one answer for all, as for reads), 403 forbidden when the user may see it but not transfer from it.
 * Only 円普通 accounts (01) transfer.
 */
async function debitAccountFor(db: Db, ctx: TransferContext, publicId: string, need: 'transfer' | 'inquiry'): Promise<DebitAccount> {
  // The user and the account in one statement: every transfer call asks this.
  const user = await db
    .selectFrom('users as u')
    .innerJoin('customers as c', 'c.id', 'u.customer_id')
    .leftJoinLateral((eb) => eb
      .selectFrom('accounts as a')
      .innerJoin('pin_registrations as p', (j) => j.onRef('p.account_id', '=', 'a.id').onRef('p.user_id', '=', 'u.id'))
      // The master (no group) matches no rights row.
      .leftJoin('group_account_rights as r', (j) => j.onRef('r.account_id', '=', 'a.id').onRef('r.group_id', '=', 'u.group_id'))
      .select(['a.id', 'a.public_id', 'a.account_type_code', 'a.account_name_kana', 'a.transfer_limit_amount', 'r.inquiry', 'r.transfer'])
      .where('a.public_id', '=', publicId)
      .where('a.customer_id', '=', ctx.customerId)
      .where(sql<boolean>`a.id = any(${ctx.grantAccountIds}::uuid[])`)
      .as('a'), (j) => j.onTrue())
    .select(['u.role', 'u.status', 'u.customer_id', 'c.kind'])
    .select(['a.id', 'a.public_id', 'a.account_type_code', 'a.account_name_kana', 'a.transfer_limit_amount', 'a.inquiry', 'a.transfer'])
    .where('u.id', '=', ctx.userId)
    .where('u.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!user || user.status !== 'active' || user.customer_id !== ctx.customerId) throw new AppError(401, 'invalid_token');
  if (ctx.grantAccountIds.length === 0) throw new AppError(403, 'account_forbidden');
  const { id, public_id: accountPublicId, account_name_kana: accountNameKana, transfer_limit_amount: transferLimit } = user;
  const everything = user.role === 'master' || user.kind === 'individual';
  // No account row (id null): unknown, not covered, or not registered with its PIN.
  if (id === null || accountPublicId === null || user.account_type_code !== '01' || !(everything || user.inquiry === true)) throw new AppError(403, 'account_forbidden');
  if (need === 'transfer' && !(everything || user.transfer === true)) throw notTransferable();
  return { id, publicId: accountPublicId, accountNameKana: accountNameKana!, transferLimit: wholeYen(transferLimit!) };
}

/** Checks a request fully (shape, permission, rules), auditing and throwing any refusal; writes nothing else. */
async function prepare(db: Db, ctx: TransferContext, body: TransferRequestBody, now: Date, settings: TransferSettings): Promise<Prepared> {
  const checked = checkTransferRequest(body, jstDate(now));
  if (!checked.ok) {
    await auditRefusal(db, ctx, 'invalid_parameter', { codes: detailCodes(checked.errorDetails, checked.transferErrorDetails) });
    throw new TransferRefused('invalid_parameter', checked.errorDetails, checked.transferErrorDetails);
  }
  const { request } = checked;
  let account: DebitAccount;
  try {
    account = await debitAccountFor(db, ctx, request.accountPublicId, 'transfer');
  } catch (err) {
    if (err instanceof AppError) await auditRefusal(db, ctx, err.code, { accountId: request.accountPublicId });
    throw err;
  }

  const errorDetails: ErrorDetail[] = [];
  const transferErrorDetails: TransferErrorDetail[] = [];
  const items: PreparedItem[] = [];
  for (const item of request.items) {
    const problems: ErrorDetail[] = [];
    if (account.transferLimit !== null && item.amount > account.transferLimit) {
      problems.push({ errorDetailsCode: DETAIL.overTransferLimit, errorDetailsMessage: `transferAmount（振込金額）が口座の振込限度額（${account.transferLimit.toLocaleString('ja-JP')}円）を超えています。` });
    }
    let beneficiaryAccountId: string | null = null;
    if (item.beneficiaryBankCode === settings.bankCode) {
      // This bank's 普通 accounts are type 01; it has no 当座, 貯蓄 or その他 accounts.
      const found = item.accountTypeCode === '1'
        ? await db.selectFrom('accounts').select('id')
          .where('branch_code', '=', item.beneficiaryBranchCode).where('account_type_code', '=', '01').where('account_number', '=', item.accountNumber)
          .executeTakeFirst()
        : undefined;
      if (!found) problems.push({ errorDetailsCode: DETAIL.beneficiaryNotFound, errorDetailsMessage: '振込先の口座が見つかりません（金融機関・支店・預金種目・口座番号をご確認ください）。' });
      else if (found.id === account.id) problems.push({ errorDetailsCode: DETAIL.sameAccount, errorDetailsMessage: '引落口座と同じ口座へは振込できません。' });
      else beneficiaryAccountId = found.id;
    }
    if (problems.length > 0) transferErrorDetails.push({ itemId: String(item.itemId), errorDetails: problems });
    items.push({ ...item, fee: transferFee({ beneficiaryBankCode: item.beneficiaryBankCode, amount: item.amount }, settings.bankCode), beneficiaryAccountId });
  }
  if (errorDetails.length > 0 || transferErrorDetails.length > 0) {
    await auditRefusal(db, ctx, 'transfer_refused', { accountId: request.accountPublicId, codes: detailCodes(errorDetails, transferErrorDetails) });
    throw new TransferRefused('transfer_refused', errorDetails, transferErrorDetails);
  }
  return { request, account, items, totalFee: items.reduce((s, i) => s + i.fee, 0n) };
}

function detailCodes(errorDetails: ErrorDetail[], items: TransferErrorDetail[]): string[] {
  return [...new Set([...errorDetails, ...items.flatMap((i) => i.errorDetails)].map((d) => d.errorDetailsCode))];
}

/**
 * When a pending application expires: TRANSFER_APPLY_TTL_HOURS after the request, but never after the end
 * of its designated date in Japan (a transfer for today cannot wait for tomorrow's approval).
 */
export function applyEndOf(now: Date, designatedDate: string, ttlHours: number): Date {
  const dayEnd = jstDayStart(designatedDate)!.getTime() + 24 * 60 * 60_000;
  return new Date(Math.min(now.getTime() + ttlHours * 60 * 60_000, dayEnd));
}

const hashOf = (body: TransferRequestBody) => createHash('sha256').update(canonicalJson(body)).digest('hex');

/** The answer an earlier request with this key gave, or 409 when the key came with another body or user. */
async function replayOf(db: Db, ctx: TransferContext, key: string, hash: string): Promise<RequestTransferResult | undefined> {
  const row = await db
    .selectFrom('transfer_applications as t')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .select(['t.apply_no', 't.request_hash', 't.apply_end_at', 't.requested_by_user_id', 'a.public_id'])
    .where('t.client_id', '=', ctx.clientId)
    .where('t.idempotency_key', '=', key)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.request_hash !== hash || row.requested_by_user_id !== ctx.userId) throw new IdempotencyConflict();
  return {
    status: 201, replayed: true, mailIds: [],
    body: { accountId: row.public_id, resultCode: '2', applyNo: row.apply_no, applyEndDatetime: jstDateTime(row.apply_end_at) },
  };
}

/**
 * 振込依頼 (POST /transfer/request): stores an application awaiting approval (resultCode 2) with its items,
 * its audit row and the approvers' mails in one transaction. With an Idempotency-Key, the same key and body
 * answer the first result again (also when two arrive at once: the unique key decides), another body 409.
 */
export async function requestTransfer(
  db: Db, ctx: TransferContext, body: TransferRequestBody, idempotencyKey: string | undefined, now: Date,
  settings: TransferSettings = DEFAULT_TRANSFER_SETTINGS,
): Promise<RequestTransferResult> {
  const hash = idempotencyKey === undefined ? null : hashOf(body);
  if (idempotencyKey !== undefined) {
    const replay = await replayOf(db, ctx, idempotencyKey, hash!);
    if (replay) return replay;
  }
  const p = await prepare(db, ctx, body, now, settings);
  const applyEnd = applyEndOf(now, p.request.designatedDate, settings.applyTtlHours);
  const remitterName = (p.request.remitterName ?? p.account.accountNameKana).slice(0, 48);
  const stored = await inTransaction(db, async (trx) => {
    // The rows below reference the debit and beneficiary accounts (a FOR KEY SHARE lock each). Taken here in
    // one statement in id order, as executions take theirs, so a request never deadlocks with an execution.
    const touched = [...new Set([p.account.id, ...p.items.flatMap((i) => (i.beneficiaryAccountId ? [i.beneficiaryAccountId] : []))])];
    await trx.selectFrom('accounts').select('id').where('id', 'in', touched).orderBy('id').forKeyShare().execute();
    const inserted = await trx
      .insertInto('transfer_applications')
      .values({
        apply_no: newApplyNo(), customer_id: ctx.customerId, account_id: p.account.id, requested_by_user_id: ctx.userId,
        client_id: ctx.clientId, grant_id: ctx.grantId, item_count: p.items.length, total_amount: p.request.totalAmount.toString(),
        total_fee: p.totalFee.toString(), remitter_name: remitterName, designated_date: p.request.designatedDate,
        holiday_code: p.request.holidayCode, apply_comment: p.request.applyComment, status: 'pending', apply_end_at: applyEnd,
        idempotency_key: idempotencyKey ?? null, request_hash: hash, created_at: now, updated_at: now,
      })
      .onConflict((oc) => oc.columns(['client_id', 'idempotency_key']).doNothing())
      .returning(['id', 'apply_no'])
      .executeTakeFirst();
    if (!inserted) return undefined;
    await trx
      .insertInto('transfer_items')
      .values(p.items.map((i) => ({
        application_id: inserted.id, item_id: i.itemId, amount: i.amount.toString(), fee: i.fee.toString(), edi_info: i.ediInfo,
        beneficiary_bank_code: i.beneficiaryBankCode, beneficiary_branch_code: i.beneficiaryBranchCode, account_type_code: i.accountTypeCode,
        account_number: i.accountNumber, beneficiary_name: i.beneficiaryName, beneficiary_account_id: i.beneficiaryAccountId,
      })))
      .execute();
    await recordAudit(trx, {
      type: 'transfer.requested', customerId: ctx.customerId, actorUserId: ctx.userId, context: ctx.request,
      details: { clientId: ctx.clientId, applyNo: inserted.apply_no, accountId: p.account.publicId, amount: p.request.totalAmount.toString(), items: p.items.length, designatedDate: p.request.designatedDate },
    });
    const app = (await loadApplication(trx, inserted.id))!;
    const approvers = await approverAddresses(trx, ctx.customerId, p.account.id);
    const mailIds = await enqueueMails(trx, approvers.map((a) => awaitingApprovalMail(a.email, mailFacts(app), jstDateTime(applyEnd))));
    return { applyNo: inserted.apply_no, mailIds };
  });
  if (!stored) {
    // Another request with the same key committed first: answer as it did, or 409.
    const replay = await replayOf(db, ctx, idempotencyKey!, hash!);
    if (replay) return replay;
    throw new AppError(409, 'conflict');
  }
  return {
    status: 201, replayed: false, mailIds: stored.mailIds,
    body: { accountId: p.account.publicId, resultCode: '2', applyNo: stored.applyNo, applyEndDatetime: jstDateTime(applyEnd) },
  };
}

export interface TransferFeeResponse {
  accountId: string;
  baseDate: string;
  baseTime: string;
  totalFee: string;
  transferFeeDetails: Array<{ itemId: string; transferFee: string }>;
}

function baseDateTime(now: Date): { baseDate: string; baseTime: string } {
  const p = jstParts(now);
  return { baseDate: `${p.year}-${p.month}-${p.day}`, baseTime: `${p.hour}:${p.minute}:${p.second}+09:00` };
}

/** 振込手数料事前照会 (POST /transfer/transferfee): the same checks as a request; writes nothing but refusal audit rows. */
export async function quoteTransferFee(
  db: Db, ctx: TransferContext, body: TransferRequestBody, now: Date, settings: TransferSettings = DEFAULT_TRANSFER_SETTINGS,
): Promise<TransferFeeResponse> {
  const p = await prepare(db, ctx, body, now, settings);
  return {
    accountId: p.account.publicId, ...baseDateTime(now), totalFee: p.totalFee.toString(),
    transferFeeDetails: p.items.map((i) => ({ itemId: String(i.itemId), transferFee: i.fee.toString() })),
  };
}

const APPLY_NO = /^[0-9]{16}$/;
const ACCOUNT_ID = /^[0-9]{12}$/;

/** This client's application on the account, or 404. */
async function clientApplication(db: Db, ctx: TransferContext, accountId: string, applyNo: string): Promise<ApplicationRecord> {
  const [app] = await loadApplications(db, (q) => q
    .where('t.apply_no', '=', applyNo).where('t.account_id', '=', accountId)
    .where('t.customer_id', '=', ctx.customerId).where('t.client_id', '=', ctx.clientId));
  if (!app) throw new AppError(404, 'not_found', { message: { ja: '指定された受付番号の振込申請はありません。', en: 'No transfer application has this applyNo.' } });
  return app;
}

/** A pending application past its end counts as expired before the sweep has caught up. */
function effectiveStatus(app: ApplicationRecord, now: Date): TransferApplicationStatus {
  return app.status === 'pending' && app.applyEndAt.getTime() <= now.getTime() ? 'expired' : app.status;
}

export interface RequestResultResponse {
  accountId: string;
  resultCode: '1' | '2' | '8';
  applyNo: string;
  applyEndDatetime?: string;
}

/**
 * 振込依頼結果照会 (GET /transfer/request-result): 2 while awaiting approval (with its end), 1 once approved
 * (with the approval time; 振込状況照会 tells whether it was then executed), 8 when it can no longer
 * complete: expired, returned (差戻) or withdrawn (取下げ).
 */
export async function requestResult(db: Db, ctx: TransferContext, q: { accountId: string; applyNo: string }, now: Date): Promise<RequestResultResponse> {
  if (!ACCOUNT_ID.test(q.accountId ?? '') || !APPLY_NO.test(q.applyNo ?? '')) throw invalidParameter();
  const account = await debitAccountFor(db, ctx, q.accountId, 'inquiry');
  const app = await clientApplication(db, ctx, account.id, q.applyNo);
  const status = effectiveStatus(app, now);
  const base = { accountId: account.publicId, applyNo: app.applyNo };
  if (status === 'pending') return { ...base, resultCode: '2', applyEndDatetime: jstDateTime(app.applyEndAt) };
  if (status === 'scheduled' || status === 'executed' || status === 'failed') {
    return { ...base, resultCode: '1', ...(app.decidedAt ? { applyEndDatetime: jstDateTime(app.decidedAt) } : {}) };
  }
  return { ...base, resultCode: '8' };
}

export interface TransferStatusQuery {
  accountId: string;
  queryKeyClass: string;
  applyNo?: string | undefined;
  dateFrom?: string | undefined;
  dateTo?: string | undefined;
  nextItemKey?: string | undefined;
  requestTransferStatus?: string[] | undefined;
  requestTransferClass?: string | undefined;
  requestTransferTerm?: string | undefined;
}

/** Applications one 振込状況照会 page returns (queryKeyClass 2). */
const STATUS_PAGE_SIZE = 100;

/** GMO's applyStatus of the (only) approval step. */
const APPLY_STATUS: Record<TransferApplicationStatus, string> = {
  pending: '1', returned: '2', withdrawn: '3', expired: '4', scheduled: '5', executed: '5', failed: '5',
};

/** One application in GMO's TransferDetail shape. */
function transferDetail(app: ApplicationRecord, now: Date) {
  const status = effectiveStatus(app, now);
  const decided = app.decidedAt !== null && (status === 'returned' || status === 'scheduled' || status === 'executed' || status === 'failed');
  const accepted = status === 'scheduled' || status === 'executed' || status === 'failed';
  return {
    transferStatus: TRANSFER_STATUS_CODES[status],
    transferStatusName: TRANSFER_STATUS_NAMES[status].ja,
    transferTypeName: '振込振替',
    isFeeFreeUse: false,
    transferDetailFee: app.totalFee,
    totalDebitAmount: (BigInt(app.totalAmount) + BigInt(app.totalFee)).toString(),
    transferApplies: [{
      applyNo: app.applyNo,
      transferApplyDetails: [{
        applyDatetime: jstDateTime(app.createdAt),
        applyStatus: APPLY_STATUS[status],
        applyUser: app.requesterName,
        ...(app.applyComment ? { applyComment: app.applyComment } : {}),
        ...(decided && app.decidedByName ? { approvalUser: app.decidedByName } : {}),
        ...(decided && app.decisionComment ? { approvalComment: app.decisionComment } : {}),
      }],
    }],
    transferAccepts: accepted && app.decidedAt ? [{ acceptNo: app.applyNo, acceptDatetime: jstDateTime(app.decidedAt) }] : [],
    transferResponses: [{
      accountId: app.accountPublicId,
      remitterName: app.remitterName,
      transferDesignatedDate: app.designatedDate,
      transferInfos: app.items.map((i) => ({
        transferAmount: i.amount,
        ...(i.ediInfo ? { ediInfo: i.ediInfo } : {}),
        beneficiaryBankCode: i.beneficiaryBankCode,
        beneficiaryBranchCode: i.beneficiaryBranchCode,
        accountTypeCode: i.accountTypeCode,
        accountNumber: i.accountNumber,
        beneficiaryName: i.beneficiaryName,
        transferDetailResponses: [{ isFeeFreeUsed: false, transferFee: i.fee }],
      })),
    }],
  };
}

export type TransferDetail = ReturnType<typeof transferDetail>;

export interface TransferStatusResponse {
  acceptanceKeyClass: string;
  dateFrom?: string;
  dateTo?: string;
  baseDate: string;
  baseTime: string;
  count: string;
  hasNext?: boolean;
  nextItemKey?: string;
  transferQueryBulkResponses?: Array<Record<string, unknown>>;
  transferDetails: TransferDetail[];
}

const STATUS_BY_CODE = new Map(Object.entries(TRANSFER_STATUS_CODES).map(([s, c]) => [c as string, s as TransferApplicationStatus]));

function isDate(v: string): boolean {
  return jstDayStart(v) !== undefined;
}

/**
 * 振込状況照会 (GET /transfer/status): queryKeyClass 1 = one application by applyNo; 2 = this client's
 * applications on the account, by 申請受付日 (requestTransferTerm 1, default) or 振込指定日 (2) between
 * dateFrom and dateTo (either may be omitted), optionally by transferStatus, {@link STATUS_PAGE_SIZE} a page
 * in request order, continued by nextItemKey. Parameters of the other class are refused (400), as GMO does.
 */
export async function transferStatus(db: Db, ctx: TransferContext, q: TransferStatusQuery, now: Date): Promise<TransferStatusResponse> {
  if (!ACCOUNT_ID.test(q.accountId ?? '')) throw invalidParameter();
  const classTwoOnly = [q.dateFrom, q.dateTo, q.nextItemKey, q.requestTransferClass, q.requestTransferTerm].some((v) => v !== undefined)
    || (q.requestTransferStatus !== undefined && q.requestTransferStatus.length > 0);
  if (q.queryKeyClass === '1') {
    if (q.applyNo === undefined || !APPLY_NO.test(q.applyNo) || classTwoOnly) throw invalidParameter({
      ja: 'queryKeyClass=1 では applyNo（16桁）のみを指定してください。', en: 'With queryKeyClass=1 give applyNo (16 digits) and no date or paging parameters.',
    });
    const account = await debitAccountFor(db, ctx, q.accountId, 'inquiry');
    const app = await clientApplication(db, ctx, account.id, q.applyNo);
    return { acceptanceKeyClass: '1', ...baseDateTime(now), count: '1', transferDetails: [transferDetail(app, now)] };
  }
  if (q.queryKeyClass !== '2') throw invalidParameter();
  const bad = (ja: string, en: string) => invalidParameter({ ja, en });
  if (q.applyNo !== undefined) throw bad('queryKeyClass=2 では applyNo は指定できません。', 'applyNo is not allowed with queryKeyClass=2.');
  if (q.dateFrom !== undefined && !isDate(q.dateFrom)) throw bad('dateFrom が正しくありません。', 'dateFrom is not a date.');
  if (q.dateTo !== undefined && !isDate(q.dateTo)) throw bad('dateTo が正しくありません。', 'dateTo is not a date.');
  if (q.dateFrom !== undefined && q.dateTo !== undefined && q.dateFrom > q.dateTo) throw bad('dateFrom が dateTo より後です。', 'dateFrom is after dateTo.');
  if (q.nextItemKey !== undefined && !/^[1-9][0-9]{0,17}$/.test(q.nextItemKey)) throw bad('nextItemKey が正しくありません。', 'nextItemKey is invalid.');
  const term = q.requestTransferTerm ?? '1';
  if (term !== '1' && term !== '2') throw bad('requestTransferTerm は 1 または 2 です。', 'requestTransferTerm is 1 or 2.');
  if (q.requestTransferClass !== undefined && !['1', '2', '3'].includes(q.requestTransferClass)) throw bad('requestTransferClass は 1、2、3 のいずれかです。', 'requestTransferClass is 1, 2 or 3.');
  // One value may arrive as a plain string (a query string with the key once).
  const given = q.requestTransferStatus as string[] | string | undefined;
  const codes = given === undefined ? [] : Array.isArray(given) ? given : [given];
  if (codes.some((c) => !/^[0-9]{1,2}$/.test(c))) throw bad('requestTransferStatus が正しくありません。', 'requestTransferStatus is invalid.');
  const statuses = codes.map((c) => STATUS_BY_CODE.get(c)).filter((s): s is TransferApplicationStatus => s !== undefined);

  const account = await debitAccountFor(db, ctx, q.accountId, 'inquiry');
  const rows = await loadApplications(db, (query) => {
    let r = query.where('t.account_id', '=', account.id).where('t.customer_id', '=', ctx.customerId).where('t.client_id', '=', ctx.clientId);
    if (term === '1') {
      if (q.dateFrom) r = r.where('t.created_at', '>=', jstDayStart(q.dateFrom)!);
      if (q.dateTo) r = r.where('t.created_at', '<', new Date(jstDayStart(q.dateTo)!.getTime() + 24 * 60 * 60_000));
    } else {
      if (q.dateFrom) r = r.where('t.designated_date', '>=', q.dateFrom);
      if (q.dateTo) r = r.where('t.designated_date', '<=', q.dateTo);
    }
    // Codes this bank never produces (承認取消, 手続中, 組戻…) match nothing.
    if (codes.length > 0) r = statuses.length > 0 ? r.where('t.status', 'in', statuses) : r.where(sql<boolean>`false`);
    if (q.nextItemKey) r = r.where('t.seq', '>=', q.nextItemKey as never);
    return r.orderBy('t.seq').limit(STATUS_PAGE_SIZE + 1);
  });
  const page = rows.slice(0, STATUS_PAGE_SIZE);
  const hasNext = rows.length > STATUS_PAGE_SIZE;
  const nextItemKey = hasNext ? rows[STATUS_PAGE_SIZE]!.seq : undefined;
  const range = { ...(q.dateFrom ? { dateFrom: q.dateFrom } : {}), ...(q.dateTo ? { dateTo: q.dateTo } : {}) };
  return {
    acceptanceKeyClass: '2', ...range, ...baseDateTime(now), count: String(page.length), hasNext, ...(nextItemKey ? { nextItemKey } : {}),
    transferQueryBulkResponses: [{
      ...range,
      ...(q.nextItemKey ? { requestNextItemKey: q.nextItemKey } : {}),
      requestTransferStatuses: codes.map((c) => ({ requestTransferStatus: c })),
      ...(q.requestTransferClass ? { requestTransferClass: q.requestTransferClass } : {}),
      requestTransferTerm: term,
      hasNext,
      ...(nextItemKey ? { nextItemKey } : {}),
    }],
    transferDetails: page.map((a) => transferDetail(a, now)),
  };
}

export interface CancelTransferResponse {
  accountId: string;
  cancelTargetKeyClass: '1';
  resultCode: '1';
  applyNo: string;
  applyEndDatetime: string;
}

/**
 * 振込取消依頼 (POST /transfer/cancel) with cancelTargetKeyClass 1 (振込申請取消): the requester withdraws a
 * pending application (取下げ, transferStatus 4) by one conditional UPDATE; anything else is refused.
 */
export async function cancelTransfer(
  db: Db, ctx: TransferContext, q: { accountId: string; cancelTargetKeyClass: string; applyNo: string }, now: Date,
): Promise<CancelTransferResponse> {
  if (!ACCOUNT_ID.test(q.accountId ?? '') || !APPLY_NO.test(q.applyNo ?? '')) throw invalidParameter();
  if (q.cancelTargetKeyClass !== '1') {
    throw invalidParameter({ ja: 'cancelTargetKeyClass は 1（振込申請取消）のみ指定できます。', en: 'Only cancelTargetKeyClass 1 (withdraw an application) is supported.' });
  }
  const account = await debitAccountFor(db, ctx, q.accountId, 'transfer');
  const app = await clientApplication(db, ctx, account.id, q.applyNo);
  if (app.requestedByUserId !== ctx.userId) {
    throw new AppError(403, 'forbidden', { message: { ja: '申請者本人の振込申請のみ取消できます。', en: 'Only the requester can withdraw an application.' } });
  }
  return inTransaction(db, async (trx) => {
    const done = await trx
      .updateTable('transfer_applications')
      .set((eb) => ({ status: 'withdrawn', decided_by_user_id: ctx.userId, decided_at: now, version: sql<number>`${eb.ref('version')} + 1`, updated_at: now }))
      .where('id', '=', app.id)
      .where('status', '=', 'pending')
      .where('apply_end_at', '>', now)
      .returning('id')
      .executeTakeFirst();
    if (!done) {
      throw new AppError(409, 'conflict', { message: { ja: 'この振込申請は申請中ではないため取消できません。', en: 'This application is no longer awaiting approval and cannot be withdrawn.' } });
    }
    await recordAudit(trx, {
      type: 'transfer.cancelled', customerId: ctx.customerId, actorUserId: ctx.userId, context: ctx.request,
      details: { clientId: ctx.clientId, applyNo: app.applyNo },
    });
    return { accountId: account.publicId, cancelTargetKeyClass: '1', resultCode: '1', applyNo: app.applyNo, applyEndDatetime: jstDateTime(now) };
  });
}
