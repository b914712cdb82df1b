import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Actor } from '../business-id/actor.ts';
import { countTransactionPasswordFailure } from '../business-id/confirmations.service.ts';
import type { TransferApplicationStatus } from '../db/database.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { enqueueMails } from '../mail/outbox.repository.ts';
import { AppError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { jstDate } from '../shared/jst.ts';
import { verifySecret } from '../shared/secret-hash.ts';
import { executeApplication, lockApplicationAccounts } from './execution.ts';
import { requesterMail } from './transfer-mails.ts';
import {
  amountForLimit, APPROVAL_REFUSAL_TEXTS, approvalDecision, mayReturn, TRANSFER_STATUS_CODES, type ApprovalRefusal, type Approver,
} from './transfer-rules.ts';
import { loadApplication, loadApplications, mailFacts, type ApplicationItem, type ApplicationRecord } from './transfers.repository.ts';

/**
 * 申請・承認一覧 (DESIGN §17): the applications partners requested, and 承認 / 差戻 / 取下げ by the logged-in
 * user, each confirmed with their 取引パスワード. Who may decide comes from the pure approval matrix
 * (transfer-rules.ts) over the group's rights read at the moment of the decision; the decision itself is
 * ONE conditional UPDATE on (status = pending, version = the version the screen showed), so two approvers
 * pressing 承認 at once, or an approval racing the expiry sweep or an API cancel, change it once.
 */

/** Rows one page of the list shows, newest first. */
const APPLICATIONS_PAGE_SIZE = 50;

/** An application as 申請・承認一覧 shows it: the stored record's fields, and what this user may do with it. */
export interface ApplicationRow extends Pick<ApplicationRecord,
  'id' | 'applyNo' | 'requesterName' | 'requesterLoginId' | 'accountPublicId' | 'accountLabel' | 'totalAmount' | 'totalFee'
  | 'itemCount' | 'partnerServiceName' | 'partnerLegalName' | 'designatedDate' | 'remitterName' | 'applyComment' | 'applyEndAt'
  | 'createdAt' | 'decidedByName' | 'decidedAt' | 'decisionComment' | 'executedAt' | 'failureReason' | 'version'> {
  /** As the user sees it: a pending application past its end is shown expired before the sweep runs. */
  status: TransferApplicationStatus;
  /** GMO's transferStatus code of that status. */
  transferStatus: string;
  own: boolean;
  items: Array<ApplicationItem & { inBank: boolean }>;
  canApprove: boolean;
  /** Why 承認 is refused, when the application is pending and the user may see but not approve it. */
  approveRefusal?: ApprovalRefusal;
  canReturn: boolean;
  canWithdraw: boolean;
}

interface ApproverFacts {
  base: Omit<Approver, 'transferRightOnAccount'>;
  /** Accounts on which the group holds 振込・振替. */
  transferAccounts: Set<string>;
  /** Sees every application of the customer (master, individual). */
  seesAll: boolean;
}

async function approverFacts(db: Db, actor: Actor): Promise<ApproverFacts> {
  const seesAll = actor.role === 'master' || actor.customerKind === 'individual';
  const group = actor.groupId
    ? await db.selectFrom('groups').select(['approval_authority', 'approval_limit', 'self_approval_limit']).where('id', '=', actor.groupId).executeTakeFirst()
    : undefined;
  const rights = actor.groupId
    ? await db.selectFrom('group_account_rights').select('account_id').where('group_id', '=', actor.groupId).where('transfer', '=', true).execute()
    : [];
  const yen = (v: string | null | undefined) => (v === null || v === undefined ? null : BigInt(String(v).split('.')[0]!));
  return {
    seesAll,
    transferAccounts: new Set(rights.map((r) => r.account_id)),
    base: {
      role: actor.role, customerKind: actor.customerKind, approvalRight: group?.approval_authority === true,
      approvalLimit: group?.approval_authority ? yen(group.approval_limit) : null,
      selfApprovalLimit: group?.approval_authority ? yen(group.self_approval_limit) : null,
    },
  };
}

function approverFor(f: ApproverFacts, accountId: string): Approver {
  return { ...f.base, transferRightOnAccount: f.seesAll || f.transferAccounts.has(accountId) };
}

function effectiveStatus(app: ApplicationRecord, now: Date): TransferApplicationStatus {
  return app.status === 'pending' && app.applyEndAt.getTime() <= now.getTime() ? 'expired' : app.status;
}

function rowOf(app: ApplicationRecord, actor: Actor, f: ApproverFacts, now: Date): ApplicationRow {
  const status = effectiveStatus(app, now);
  const own = app.requestedByUserId === actor.id;
  const pending = status === 'pending';
  const approver = approverFor(f, app.accountId);
  const decision = approvalDecision(approver, { ownApplication: own, amountForLimit: limitAmountOf(app) });
  const { items, ...rest } = app;
  return {
    id: rest.id, applyNo: rest.applyNo, status, transferStatus: TRANSFER_STATUS_CODES[status], requesterName: rest.requesterName,
    requesterLoginId: rest.requesterLoginId, own, accountPublicId: rest.accountPublicId, accountLabel: rest.accountLabel,
    totalAmount: rest.totalAmount, totalFee: rest.totalFee, itemCount: rest.itemCount,
    items: items.map((i) => ({ ...i, inBank: i.beneficiaryAccountId !== null })),
    partnerServiceName: rest.partnerServiceName, partnerLegalName: rest.partnerLegalName, designatedDate: rest.designatedDate, remitterName: rest.remitterName,
    applyComment: rest.applyComment, applyEndAt: rest.applyEndAt, createdAt: rest.createdAt, decidedByName: rest.decidedByName,
    decidedAt: rest.decidedAt, decisionComment: rest.decisionComment, executedAt: rest.executedAt, failureReason: rest.failureReason,
    version: rest.version,
    canApprove: pending && decision.allowed,
    ...(pending && !decision.allowed ? { approveRefusal: decision.reason } : {}),
    canReturn: pending && mayReturn(approver, own),
    canWithdraw: pending && own,
  };
}

/** The API's transfers are 通常振込 / 一括振込: the limits apply to the largest single transfer. */
function limitAmountOf(app: ApplicationRecord): bigint {
  return amountForLimit('transfer', app.items.map((i) => BigInt(i.amount)));
}

/**
 * The applications the user may see: their own, and — for the master, an individual customer and members
 * with 承認権限 — the customer's applications on the accounts they hold 振込・振替 on (all for the master).
 */
function visibleTo(actor: Actor, f: ApproverFacts) {
  return (q: Parameters<Parameters<typeof loadApplications>[1]>[0]) => {
    const r = q.where('t.customer_id', '=', actor.customerId);
    if (f.seesAll) return r;
    const accounts = f.base.approvalRight ? [...f.transferAccounts] : [];
    return r.where((eb) => eb.or([
      eb('t.requested_by_user_id', '=', actor.id),
      ...(accounts.length > 0 ? [eb('t.account_id', 'in', accounts)] : []),
    ]));
  };
}

/** One page of 申請・承認一覧, newest first, optionally of one status (as shown). */
export async function listApplications(
  db: Db, actor: Actor, opts: { status?: TransferApplicationStatus | undefined; page?: number | undefined }, now: Date = new Date(),
): Promise<{ rows: ApplicationRow[]; hasMore: boolean }> {
  const f = await approverFacts(db, actor);
  const page = Math.max(0, Math.floor(opts.page ?? 0));
  const visible = visibleTo(actor, f);
  const apps = await loadApplications(db, (q) => {
    let r = visible(q);
    // By the status as shown: a pending application past its end is listed as expired.
    if (opts.status === 'pending') r = r.where('t.status', '=', 'pending').where('t.apply_end_at', '>', now);
    else if (opts.status === 'expired') r = r.where((eb) => eb.or([eb('t.status', '=', 'expired'), eb.and([eb('t.status', '=', 'pending'), eb('t.apply_end_at', '<=', now)])]));
    else if (opts.status) r = r.where('t.status', '=', opts.status);
    return r.orderBy('t.created_at', 'desc').orderBy('t.seq', 'desc').limit(APPLICATIONS_PAGE_SIZE + 1).offset(page * APPLICATIONS_PAGE_SIZE);
  });
  return { rows: apps.slice(0, APPLICATIONS_PAGE_SIZE).map((a) => rowOf(a, actor, f, now)), hasMore: apps.length > APPLICATIONS_PAGE_SIZE };
}

const notFound = () => new AppError(404, 'not_found', { message: { ja: '指定された振込申請は見つかりません。', en: 'The transfer application was not found.' } });

/** One application the user may see, with what they may do with it; 404 otherwise. */
export async function getApplication(db: Db, actor: Actor, applicationId: string, now: Date = new Date()): Promise<ApplicationRow> {
  if (!isUuid(applicationId)) throw notFound();
  const f = await approverFacts(db, actor);
  const visible = visibleTo(actor, f);
  const [app] = await loadApplications(db, (q) => visible(q).where('t.id', '=', applicationId));
  if (!app) throw notFound();
  return rowOf(app, actor, f, now);
}

export interface DecisionInput {
  applicationId: string;
  /** The version the screen showed: a change in between refuses the decision (409). */
  version: number;
  transactionPassword: string;
  comment?: string | undefined;
  context?: RequestContext | undefined;
}

export interface DecisionResult {
  status: 'executed' | 'scheduled' | 'failed' | 'returned' | 'withdrawn';
  applyNo: string;
  /** Outbox rows written; the surface hands them over after the commit (Mailer.deliverStored). */
  mailIds: string[];
}

export const MAX_DECISION_COMMENT = 100;

/**
 * The 取引パスワード of the acting user, counted like every confirmation (business-id/confirmations.service.ts):
 * a wrong one counts toward the lock outside any transaction, so it sticks.
 */
async function checkTransactionPassword(db: Db, actor: Actor, password: string, purpose: string, context?: RequestContext): Promise<void> {
  const user = await db
    .selectFrom('users')
    .select(['transaction_password_hash', 'transaction_password_locked_at'])
    .where('id', '=', actor.id)
    .executeTakeFirstOrThrow();
  if (user.transaction_password_locked_at !== null || user.transaction_password_hash === null) throw new AppError(403, 'transaction_password_locked');
  if (await verifySecret(user.transaction_password_hash, password)) return;
  const audit = { customerId: actor.customerId, actorUserId: actor.id, actorLoginId: actor.loginId, context };
  const counted = await countTransactionPasswordFailure(db, actor.id);
  await recordAudit(db, { ...audit, type: 'transaction_password.failure', outcome: 'failure', details: { purpose, failures: counted.failures } });
  if (counted.lockedNow) {
    await recordAudit(db, { ...audit, type: 'transaction_password.locked', outcome: 'failure', details: { purpose } });
    throw new AppError(403, 'transaction_password_locked');
  }
  throw new AppError(400, 'transaction_password_wrong');
}

/** Loads the application, checks the input and the 取引パスワード; the decision is the caller's. */
async function beginDecision(db: Db, actor: Actor, input: DecisionInput, purpose: string, now: Date) {
  if (!Number.isSafeInteger(input.version) || input.version < 1) throw new AppError(400, 'invalid_parameter');
  if (input.comment !== undefined && [...input.comment].length > MAX_DECISION_COMMENT) {
    throw new AppError(400, 'invalid_parameter', { message: { ja: `コメントは${MAX_DECISION_COMMENT}文字以内で入力してください。`, en: `The comment is at most ${MAX_DECISION_COMMENT} characters.` } });
  }
  const row = await getApplication(db, actor, input.applicationId, now);
  if (row.status !== 'pending') throw staleOrDone(row.status);
  if (row.version !== input.version) throw stale();
  await checkTransactionPassword(db, actor, input.transactionPassword, purpose, input.context);
  const f = await approverFacts(db, actor);
  const app = (await loadApplication(db, row.id))!;
  return { row, app, approver: approverFor(f, app.accountId), own: app.requestedByUserId === actor.id };
}

const stale = () => new AppError(409, 'conflict', {
  message: { ja: 'この振込申請は他の操作で更新されています。一覧から開き直してください。', en: 'This application was changed by someone else. Open it again from the list.' },
});
const staleOrDone = (status: TransferApplicationStatus) => new AppError(409, 'conflict', {
  message: status === 'expired'
    ? { ja: 'この振込申請は承認期限を過ぎたため、期限切れです。', en: 'This application has expired.' }
    : { ja: 'この振込申請は既に処理されています。', en: 'This application has already been decided.' },
});

/**
 * Moves a pending application to `to` by one conditional UPDATE (pending, the version shown, not expired);
 * 409 when another decision, a cancel or the expiry got there first.
 */
async function decide(trx: Db, actor: Actor, input: DecisionInput, to: 'scheduled' | 'returned' | 'withdrawn', now: Date): Promise<void> {
  const done = await trx
    .updateTable('transfer_applications')
    .set((eb) => ({
      status: to, decided_by_user_id: actor.id, decided_at: now, decision_comment: input.comment?.trim() || null,
      version: sql<number>`${eb.ref('version')} + 1`, updated_at: now,
    }))
    .where('id', '=', input.applicationId)
    .where('status', '=', 'pending')
    .where('version', '=', input.version)
    .where('apply_end_at', '>', now)
    .returning('id')
    .executeTakeFirst();
  if (!done) throw stale();
  await trx.updateTable('users').set({ transaction_password_failed_count: 0 }).where('id', '=', actor.id).where('transaction_password_locked_at', 'is', null).execute();
}

/**
 * 承認: the approval matrix decides, then one transaction approves and — when the designated date has
 * come — executes at once (debit, statement lines, in-bank credit); a later date waits for the sweep.
 */
export async function approveApplication(db: Db, actor: Actor, input: DecisionInput, now: Date = new Date()): Promise<DecisionResult> {
  const { app, approver, own } = await beginDecision(db, actor, input, 'transfer.approve', now);
  const audit = { customerId: actor.customerId, actorUserId: actor.id, actorLoginId: actor.loginId, subjectUserId: app.requestedByUserId, context: input.context };
  const decision = approvalDecision(approver, { ownApplication: own, amountForLimit: limitAmountOf(app) });
  if (!decision.allowed) {
    await recordAudit(db, { ...audit, type: 'transfer.approval_refused', outcome: 'failure', details: { applyNo: app.applyNo, reason: decision.reason } });
    throw new AppError(403, 'forbidden', { message: APPROVAL_REFUSAL_TEXTS[decision.reason], detail: { reason: decision.reason } });
  }
  const dueNow = app.designatedDate <= jstDate(now);
  return inTransaction(db, async (trx) => {
    // The accounts first, before the application row changes (see lockApplicationAccounts).
    if (dueNow) await lockApplicationAccounts(trx, app.id);
    await decide(trx, actor, input, 'scheduled', now);
    await recordAudit(trx, { ...audit, type: 'transfer.approved', details: { applyNo: app.applyNo, amount: app.totalAmount, designatedDate: app.designatedDate } });
    if (dueNow) {
      const outcome = await executeApplication(trx, app.id, now, input.context);
      return { status: outcome === 'failed' ? 'failed' : 'executed', applyNo: app.applyNo, mailIds: [] };
    }
    const mailIds = await enqueueMails(trx, [requesterMail(app.requesterEmail, 'approved', mailFacts(app), actor.name)]);
    return { status: 'scheduled', applyNo: app.applyNo, mailIds };
  });
}

/** 差戻: back to the requester, by someone who could decide on the account's applications (not one's own). */
export async function returnApplication(db: Db, actor: Actor, input: DecisionInput, now: Date = new Date()): Promise<DecisionResult> {
  const { app, approver, own } = await beginDecision(db, actor, input, 'transfer.return', now);
  const audit = { customerId: actor.customerId, actorUserId: actor.id, actorLoginId: actor.loginId, subjectUserId: app.requestedByUserId, context: input.context };
  if (!mayReturn(approver, own)) {
    await recordAudit(db, { ...audit, type: 'transfer.approval_refused', outcome: 'failure', details: { applyNo: app.applyNo, reason: own ? 'own_application' : 'no_approval_right' } });
    throw new AppError(403, 'forbidden', {
      message: own
        ? { ja: 'ご自身の申請は差戻できません。取下げをご利用ください。', en: 'You cannot return your own application; withdraw it instead.' }
        : APPROVAL_REFUSAL_TEXTS[approver.transferRightOnAccount ? 'no_approval_right' : 'no_transfer_right'],
    });
  }
  return inTransaction(db, async (trx) => {
    await decide(trx, actor, input, 'returned', now);
    await recordAudit(trx, { ...audit, type: 'transfer.returned', details: { applyNo: app.applyNo } });
    const mailIds = await enqueueMails(trx, [requesterMail(app.requesterEmail, 'returned', mailFacts(app), actor.name)]);
    return { status: 'returned', applyNo: app.applyNo, mailIds };
  });
}

/** 取下げ: the requester withdraws their own pending application. */
export async function withdrawApplication(db: Db, actor: Actor, input: DecisionInput, now: Date = new Date()): Promise<DecisionResult> {
  const { app, own } = await beginDecision(db, actor, input, 'transfer.withdraw', now);
  if (!own) {
    throw new AppError(403, 'forbidden', { message: { ja: '取下げできるのはご自身の申請だけです。', en: 'You can only withdraw your own applications.' } });
  }
  return inTransaction(db, async (trx) => {
    await decide(trx, actor, input, 'withdrawn', now);
    await recordAudit(trx, { customerId: actor.customerId, actorUserId: actor.id, actorLoginId: actor.loginId, context: input.context, type: 'transfer.withdrawn', details: { applyNo: app.applyNo } });
    return { status: 'withdrawn', applyNo: app.applyNo, mailIds: [] };
  });
}
