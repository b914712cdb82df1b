import t from 'tap';
import { AppError } from '../../../src/shared/errors.ts';
import {
  approveApplication, getApplication, listApplications, returnApplication, withdrawApplication,
} from '../../../src/transfers/approvals.service.ts';
import { executeDueTransfers, expireTransferApplications } from '../../../src/transfers/execution.ts';
import { requestResult, requestTransfer, transferStatus } from '../../../src/transfers/transfers.service.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { actorOf, addDays, balances, bodyFor, ctxFor, makeWorld, today, TX_PASSWORD, type UserRef, type World } from './transfer-fixture.ts';

/** 申請・承認一覧's decisions and the execution they lead to, at the domain level (DESIGN §17). */

async function appError(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

async function apply(w: World, by: UserRef, over: Parameters<typeof bodyFor>[1] = {}) {
  const r = await requestTransfer(w.db, ctxFor(w, by), bodyFor(w, over), undefined, new Date());
  const row = await w.db.selectFrom('transfer_applications').select(['id', 'version']).where('apply_no', '=', r.body.applyNo).executeTakeFirstOrThrow();
  return { id: row.id, version: row.version, applyNo: r.body.applyNo };
}

const input = (a: { id: string; version: number }, over: Partial<{ transactionPassword: string; version: number; comment: string }> = {}) => ({
  applicationId: a.id, version: a.version, transactionPassword: TX_PASSWORD, ...over,
});

async function lines(w: World, accountId: string) {
  return w.db.selectFrom('transactions').select(['transaction_type', 'amount', 'balance_after', 'remarks']).where('account_id', '=', accountId).orderBy('item_key').execute();
}

t.test('approval and execution', async (t) => {
  const { db } = await createTestDatabase(t);
  const w = await makeWorld(db, { approvalLimit: 500_000, selfApprovalLimit: 100_000, balance: 1_000_000 });

  await t.test('承認 for today executes at once: debit, ledger, in-bank credit, audit, mail', async (t) => {
    const a = await apply(w, w.requester, { amount: '30000' });
    const approver = await actorOf(w, w.approver);
    const r = await approveApplication(db, approver, input(a, { comment: '確認済' }));
    t.equal(r.status, 'executed');
    t.same(await balances(db, w.debit.id), { balance: 970_000, withdrawable: 970_000 });
    t.same(await balances(db, w.beneficiary.id), { balance: 30_000, withdrawable: 30_000 });
    const debitLines = await lines(w, w.debit.id);
    t.match(debitLines.at(-1), { transaction_type: 2, remarks: 'ﾌﾘｺﾐ ｳｹﾄﾘ ﾊﾅｺ' });
    t.equal(Number(debitLines.at(-1)!.amount), 30_000);
    t.equal(Number(debitLines.at(-1)!.balance_after), 970_000, 'the statement\'s running balance follows');
    const credit = await lines(w, w.beneficiary.id);
    t.equal(credit.length, 1);
    t.match(credit[0], { transaction_type: 1, remarks: 'ﾌﾘｺﾐ ﾃｽﾄｼﾖｳｼﾞ' });
    const app = await db.selectFrom('transfer_applications').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    t.equal(app.status, 'executed');
    t.equal(app.decided_by_user_id, w.approver.id);
    t.equal(app.decision_comment, '確認済');
    t.ok(app.executed_at);
    const types = (await db.selectFrom('audit_events').select('type').where('customer_id', '=', w.customerId).where('type', 'like', 'transfer.%').orderBy('id').execute()).map((e) => e.type);
    t.same(types.slice(-3), ['transfer.requested', 'transfer.approved', 'transfer.executed']);
    const mail = await db.selectFrom('mail_outbox').select('subject').where('to_address', '=', w.requester.email).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    t.match(mail.subject, /振込が完了しました/, 'the requester is told');
    const status = await transferStatus(db, ctxFor(w, w.requester), { accountId: w.debit.publicId, queryKeyClass: '1', applyNo: a.applyNo }, new Date());
    const d = status.transferDetails[0]!;
    t.equal(d.transferStatus, '20');
    t.equal(d.transferApplies[0]!.transferApplyDetails[0]!.approvalUser, '承認 太郎');
    t.equal(d.transferApplies[0]!.transferApplyDetails[0]!.approvalComment, '確認済');
    t.equal((await requestResult(db, ctxFor(w, w.requester), { accountId: w.debit.publicId, applyNo: a.applyNo }, new Date())).resultCode, '1');
    const again = await appError(approveApplication(db, approver, input({ id: a.id, version: a.version + 1 })));
    t.equal(again.status, 409, 'a decided application cannot be decided again');
    t.same(await balances(db, w.debit.id), { balance: 970_000, withdrawable: 970_000 }, 'nothing moved twice');
  });

  await t.test('another bank: debited with its fee, recorded as sent, no credit', async (t) => {
    const a = await apply(w, w.requester, {
      transfers: [{ itemId: '1', transferAmount: '50000', beneficiaryBankCode: '0005', beneficiaryBranchCode: '001', accountTypeCode: '1', accountNumber: '1234567', beneficiaryName: 'ﾀｺｳ ｼﾖｳｼﾞ' }],
    });
    const before = await balances(db, w.debit.id);
    const r = await approveApplication(db, await actorOf(w, w.approver), input(a));
    t.equal(r.status, 'executed');
    t.same(await balances(db, w.debit.id), { balance: before.balance - 50_245, withdrawable: before.withdrawable - 50_245 });
    const last = (await lines(w, w.debit.id)).slice(-2);
    t.same(last.map((l) => [l.remarks, Number(l.amount)]), [['ﾌﾘｺﾐ ﾀｺｳ ｼﾖｳｼﾞ', 50_000], ['ﾌﾘｺﾐﾃｽｳﾘｮｳ', 245]]);
  });

  await t.test('a later date is scheduled, and the sweep executes it on the day, once', async (t) => {
    // Its own accounts: a line booked tomorrow must not precede today's lines of the other tests.
    const w = await makeWorld(db);
    const tomorrow = addDays(today(), 1);
    const a = await apply(w, w.requester, { amount: '1000', transferDesignatedDate: tomorrow });
    const r = await approveApplication(db, await actorOf(w, w.approver), input(a));
    t.equal(r.status, 'scheduled');
    t.equal(r.mailIds.length, 1, 'the requester is told it was approved');
    const before = await balances(db, w.debit.id);
    t.same(await executeDueTransfers(db, new Date()), { executed: 0, failed: 0, skipped: 0 }, 'not due today');
    const onTheDay = new Date(new Date(`${tomorrow}T09:00:00+09:00`).getTime());
    t.same(await executeDueTransfers(db, onTheDay), { executed: 1, failed: 0, skipped: 0 });
    t.same(await executeDueTransfers(db, onTheDay), { executed: 0, failed: 0, skipped: 0 }, 'a rerun does nothing');
    t.same(await balances(db, w.debit.id), { balance: before.balance - 1000, withdrawable: before.withdrawable - 1000 });
    const ledger = await db.selectFrom('transactions').select('transaction_date').where('account_id', '=', w.debit.id).orderBy('item_key', 'desc').executeTakeFirstOrThrow();
    t.equal(ledger.transaction_date, tomorrow, 'booked on the designated date');
  });

  await t.test('the approval matrix, applied by the service', async (t) => {
    const requester = await actorOf(w, w.requester);
    const approver = await actorOf(w, w.approver);
    const master = await actorOf(w, w.master);
    const small = await apply(w, w.requester, { amount: '1000' });
    const e1 = await appError(approveApplication(db, requester, input(small)));
    t.same([e1.status, e1.code, e1.messages.ja], [403, 'forbidden', '承認権限がありません。'], 'no 承認権限');
    const big = await apply(w, w.requester, { amount: '500001' });
    const e2 = await appError(approveApplication(db, approver, input(big)));
    t.equal(e2.messages.ja, '承認限度額を超えています。', '承認限度額 + 1');
    const atLimit = await apply(w, w.requester, { amount: '500000' });
    t.equal((await approveApplication(db, approver, input(atLimit))).status, 'executed', 'at the 承認限度額');
    const ownOver = await apply(w, w.approver, { amount: '100001' });
    const e3 = await appError(approveApplication(db, approver, input(ownOver)));
    t.equal(e3.messages.ja, '自己承認限度額を超えています。', 'own application over the 自己承認限度額');
    const ownAt = await apply(w, w.approver, { amount: '100000' });
    t.equal((await approveApplication(db, approver, input(ownAt))).status, 'executed', 'own application at the 自己承認限度額');
    t.equal((await approveApplication(db, master, input(ownOver))).status, 'executed', 'the master approves anything');
    const refused = await db.selectFrom('audit_events').select('details').where('type', '=', 'transfer.approval_refused').where('customer_id', '=', w.customerId).execute();
    t.same(refused.map((r) => (r.details as { reason: string }).reason).sort(), ['no_approval_right', 'over_approval_limit', 'over_self_approval_limit']);
    // The list says the same before anyone presses 承認.
    const view = await getApplication(db, approver, big.id);
    t.same([view.canApprove, view.approveRefusal, view.canReturn], [false, 'over_approval_limit', true]);
    const own = await getApplication(db, requester, big.id);
    t.same([own.canApprove, own.approveRefusal, own.canWithdraw, own.canReturn], [false, 'no_approval_right', true, false]);
  });

  await t.test('取引パスワード: wrong ones are counted and lock at the fifth', async (t) => {
    const a = await apply(w, w.requester, { amount: '1000' });
    const approver = await actorOf(w, w.approver);
    for (let i = 1; i <= 4; i++) {
      const e = await appError(approveApplication(db, approver, input(a, { transactionPassword: 'Wrong1234' })));
      t.same([e.status, e.code], [400, 'transaction_password_wrong'], `wrong #${i}`);
    }
    const fifth = await appError(approveApplication(db, approver, input(a, { transactionPassword: 'Wrong1234' })));
    t.same([fifth.status, fifth.code], [403, 'transaction_password_locked']);
    const right = await appError(approveApplication(db, approver, input(a)));
    t.equal(right.code, 'transaction_password_locked', 'locked: the right password no longer works');
    const row = await db.selectFrom('transfer_applications').select('status').where('id', '=', a.id).executeTakeFirstOrThrow();
    t.equal(row.status, 'pending', 'nothing decided');
    await db.updateTable('users').set({ transaction_password_failed_count: 0, transaction_password_locked_at: null }).where('id', '=', w.approver.id).execute();
    const r = await approveApplication(db, approver, input(a));
    t.equal(r.status, 'executed');
    const fails = await db.selectFrom('users').select('transaction_password_failed_count').where('id', '=', w.approver.id).executeTakeFirstOrThrow();
    t.equal(fails.transaction_password_failed_count, 0);
  });

  await t.test('差戻, 取下げ and a stale version', async (t) => {
    const approver = await actorOf(w, w.approver);
    const requester = await actorOf(w, w.requester);
    const a = await apply(w, w.requester, { amount: '2000' });
    const stale = await appError(approveApplication(db, approver, input(a, { version: a.version + 7 })));
    t.same([stale.status, stale.code], [409, 'conflict'], 'the version the screen showed moved');
    const r = await returnApplication(db, approver, input(a, { comment: '金額誤り' }));
    t.equal(r.status, 'returned');
    t.equal(r.mailIds.length, 1, 'the requester is told');
    t.equal((await getApplication(db, requester, a.id)).status, 'returned');
    const ownReturn = await apply(w, w.approver, { amount: '2000' });
    const e = await appError(returnApplication(db, approver, input(ownReturn)));
    t.equal(e.status, 403, 'one\'s own is withdrawn, not returned');
    const w1 = await withdrawApplication(db, approver, input(ownReturn));
    t.equal(w1.status, 'withdrawn');
    const others = await apply(w, w.requester, { amount: '2000' });
    const e2 = await appError(withdrawApplication(db, approver, input(others)));
    t.equal(e2.status, 403, 'only the requester withdraws');
    const e3 = await appError(returnApplication(db, requester, input(others)));
    t.equal(e3.status, 403, 'a requester without 承認権限 cannot return');
    const types = await db.selectFrom('audit_events').select('type').where('customer_id', '=', w.customerId).where('type', 'in', ['transfer.returned', 'transfer.withdrawn']).execute();
    t.equal(types.length, 2);
  });

  await t.test('not enough money: 手続不成立, nothing debited', async (t) => {
    const { withdrawable } = await balances(db, w.debit.id);
    const a = await apply(w, w.requester, { amount: String(Math.min(withdrawable + 1, 500_000)) });
    // Drain the account below the amount first, so the approval meets too little money.
    const app = await db.selectFrom('transfer_applications').select('total_amount').where('id', '=', a.id).executeTakeFirstOrThrow();
    await db.updateTable('accounts').set({ withdrawable_amount: String(Number(app.total_amount) - 1) }).where('id', '=', w.debit.id).execute();
    const before = await balances(db, w.debit.id);
    const linesBefore = (await lines(w, w.debit.id)).length;
    const r = await approveApplication(db, await actorOf(w, w.approver), input(a));
    t.equal(r.status, 'failed');
    t.same(await balances(db, w.debit.id), before, 'nothing debited');
    t.equal((await lines(w, w.debit.id)).length, linesBefore, 'no statement line');
    const status = await transferStatus(db, ctxFor(w, w.requester), { accountId: w.debit.publicId, queryKeyClass: '1', applyNo: a.applyNo }, new Date());
    t.equal(status.transferDetails[0]!.transferStatus, '40');
    t.ok(await db.selectFrom('audit_events').select('id').where('type', '=', 'transfer.failed').where('customer_id', '=', w.customerId).executeTakeFirst());
    await db.updateTable('accounts').set({ withdrawable_amount: String(before.balance) }).where('id', '=', w.debit.id).execute();
  });

  await t.test('expiry at apply_end_at: resultCode 8, transferStatus 5, no approval after', async (t) => {
    const a = await apply(w, w.requester, { amount: '3000', transferDesignatedDate: addDays(today(), 5) });
    const end = await db.selectFrom('transfer_applications').select('apply_end_at').where('id', '=', a.id).executeTakeFirstOrThrow();
    const statusOf = async () => (await db.selectFrom('transfer_applications').select('status').where('id', '=', a.id).executeTakeFirstOrThrow()).status;
    // Earlier tests' applications for today end sooner: they may expire in the first run.
    await expireTransferApplications(db, new Date(end.apply_end_at.getTime() - 1000));
    t.equal(await statusOf(), 'pending', 'not before its end');
    const expired = await expireTransferApplications(db, end.apply_end_at);
    t.ok(expired >= 1, 'at its end');
    t.equal(await statusOf(), 'expired');
    t.equal(await expireTransferApplications(db, end.apply_end_at), 0, 'a rerun expires nothing more');
    const ctx = ctxFor(w, w.requester);
    t.equal((await requestResult(db, ctx, { accountId: w.debit.publicId, applyNo: a.applyNo }, new Date())).resultCode, '8');
    const st = await transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '1', applyNo: a.applyNo }, new Date());
    t.equal(st.transferDetails[0]!.transferStatus, '5');
    const e = await appError(approveApplication(db, await actorOf(w, w.master), input(a)));
    t.equal(e.status, 409);
    const mail = await db.selectFrom('mail_outbox').select('subject').where('to_address', '=', w.requester.email).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    t.match(mail.subject, /期限切れ/);
  });

  await t.test('who sees what in 申請・承認一覧', async (t) => {
    const mine = await apply(w, w.requester, { amount: '100' });
    const approverOwn = await apply(w, w.approver, { amount: '100' });
    const asRequester = await listApplications(db, await actorOf(w, w.requester), {});
    t.ok(asRequester.rows.every((r) => r.own), 'a member without 承認権限 sees only their own');
    t.ok(asRequester.rows.some((r) => r.id === mine.id));
    const asApprover = await listApplications(db, await actorOf(w, w.approver), { status: 'pending' });
    t.ok(asApprover.rows.some((r) => r.id === mine.id) && asApprover.rows.some((r) => r.id === approverOwn.id), 'an approver sees the account\'s applications');
    t.ok(asApprover.rows.every((r) => r.status === 'pending'));
    const row = asApprover.rows.find((r) => r.id === mine.id)!;
    t.match(row, { requesterName: '申請 次郎', partnerServiceName: 'かんたん振込', totalAmount: '100', canApprove: true, canReturn: true, canWithdraw: false });
    t.match(row.partnerLegalName, /^株式会社振込連携/);
    t.equal(row.items[0]!.inBank, true);
    // An approver whose group loses 振込・振替 on the account no longer sees others' applications there.
    await db.updateTable('group_account_rights').set({ transfer: false }).where('group_id', '=', w.approverGroupId).where('account_id', '=', w.debit.id).execute();
    const narrowed = await listApplications(db, await actorOf(w, w.approver), {});
    t.ok(narrowed.rows.every((r) => r.own), 'only their own once the right is gone');
    await db.updateTable('group_account_rights').set({ transfer: true }).where('group_id', '=', w.approverGroupId).where('account_id', '=', w.debit.id).execute();
    // Past its end but not yet swept: shown (and filtered) as expired, not pending.
    const lapsed = await apply(w, w.requester, { amount: '100' });
    await db.updateTable('transfer_applications').set({ apply_end_at: new Date(Date.now() - 1000) }).where('id', '=', lapsed.id).execute();
    const master = await actorOf(w, w.master);
    t.notOk((await listApplications(db, master, { status: 'pending' })).rows.some((r) => r.id === lapsed.id), 'not under 申請中');
    const asExpired = (await listApplications(db, master, { status: 'expired' })).rows.find((r) => r.id === lapsed.id);
    t.match(asExpired, { status: 'expired', transferStatus: '5', canApprove: false, canWithdraw: false }, 'under 期限切れ');
    const other = await makeWorld(db);
    const e = await appError(getApplication(db, await actorOf(other, other.master), mine.id));
    t.equal(e.status, 404, 'another customer\'s master does not see it');
  });

  await t.test('an individual customer approves their own', async (t) => {
    const iw = await makeWorld(db, { kind: 'individual' });
    const a = await apply(iw, iw.master, { amount: '5000' });
    const r = await approveApplication(db, await actorOf(iw, iw.master), input(a));
    t.equal(r.status, 'executed');
  });
});
