import t, { type Test } from 'tap';
import { sql } from 'kysely';
import { AppError } from '../../../src/shared/errors.ts';
import { IdempotencyConflict, TransferRefused } from '../../../src/transfers/transfer-errors.ts';
import {
  applyEndOf, cancelTransfer, quoteTransferFee, requestResult, requestTransfer, transferStatus,
} from '../../../src/transfers/transfers.service.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { addDays, bodyFor, ctxFor, makeWorld, today } from './transfer-fixture.ts';

/** 振込依頼 and the API's other transfer calls at the domain level (DESIGN §17); the HTTP surface has its own tests. */

async function refusal(t: Test, p: Promise<unknown>): Promise<TransferRefused> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TransferRefused) return err;
    t.fail(`expected TransferRefused, got ${String(err)}`);
    throw err;
  }
  t.fail('expected a refusal');
  throw new Error('not refused');
}

async function appError(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

const codesOf = (e: TransferRefused) => ({
  request: e.errorDetails.map((d) => d.errorDetailsCode).sort(),
  items: e.transferErrorDetails.map((i) => `${i.itemId}:${i.errorDetails.map((d) => d.errorDetailsCode).sort().join(',')}`),
});

t.test('transfer requests', async (t) => {
  const { db } = await createTestDatabase(t);
  const w = await makeWorld(db, { transferLimit: 2_000_000 });
  const now = new Date();

  await t.test('a valid request is stored awaiting approval, with audit row and the approvers\' mails', async (t) => {
    const r = await requestTransfer(db, ctxFor(w, w.requester), bodyFor(w, { amount: '12345', applyComment: '請求書 No.12' }), undefined, now);
    t.equal(r.status, 201);
    t.equal(r.body.resultCode, '2');
    t.equal(r.body.accountId, w.debit.publicId);
    t.match(r.body.applyNo, /^[1-9][0-9]{15}$/);
    t.match(r.body.applyEndDatetime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    t.equal(r.replayed, false);
    const app = await db.selectFrom('transfer_applications').selectAll().where('apply_no', '=', r.body.applyNo).executeTakeFirstOrThrow();
    t.equal(app.status, 'pending');
    t.equal(String(app.total_amount), '12345');
    t.equal(String(app.total_fee), '0', 'same bank: free');
    t.equal(app.remitter_name, 'ﾃｽﾄｼﾖｳｼﾞ', 'remitter defaults to the account name in kana');
    t.equal(app.apply_comment, '請求書 No.12');
    const item = await db.selectFrom('transfer_items').selectAll().where('application_id', '=', app.id).executeTakeFirstOrThrow();
    t.equal(item.beneficiary_account_id, w.beneficiary.id, 'the in-bank beneficiary is resolved at request time');
    const audit = await db.selectFrom('audit_events').select(['type', 'actor_user_id']).where('type', '=', 'transfer.requested').where('customer_id', '=', w.customerId).execute();
    t.equal(audit.length, 1);
    t.equal(audit[0]!.actor_user_id, w.requester.id);
    const mails = await db.selectFrom('mail_outbox').select(['to_address', 'subject']).where('id', 'in', r.mailIds).execute();
    t.same(mails.map((m) => m.to_address).sort(), [w.master.email, w.approver.email].sort(), 'the master and the approver are notified, the requester (no 承認権限) not');
    t.ok(mails.every((m) => m.subject.includes('承認待ち')));
  });

  await t.test('the expiry: TTL hours, bounded by the end of the designated date (JST)', async (t) => {
    const at = new Date('2026-12-04T12:00:00+09:00');
    t.equal(applyEndOf(at, '2026-12-04', 24).toISOString(), new Date('2026-12-05T00:00:00+09:00').toISOString(), 'today: at midnight');
    t.equal(applyEndOf(at, '2026-12-10', 24).toISOString(), new Date('2026-12-05T12:00:00+09:00').toISOString(), 'later: 24 hours');
    t.equal(applyEndOf(at, '2026-12-10', 2).toISOString(), new Date('2026-12-04T14:00:00+09:00').toISOString(), 'TTL 2 hours');
  });

  await t.test('format errors name the field and the item (GMO TransferError)', async (t) => {
    const ctx = ctxFor(w, w.requester);
    const e1 = await refusal(t, requestTransfer(db, ctx, bodyFor(w, {
      transferDesignatedDate: '2026-02-30', transferDateHolidayCode: '7', remitterName: 'テスト', applyComment: 'x'.repeat(21),
      transfers: [
        { itemId: '1', transferAmount: '0', beneficiaryBankCode: '31', beneficiaryBranchCode: '1000', accountTypeCode: '3', accountNumber: '12', beneficiaryName: '山田太郎' },
        { itemId: '3', transferAmount: '1000', beneficiaryBankCode: '0005', beneficiaryBranchCode: '001', accountTypeCode: '1', accountNumber: '1234567', beneficiaryName: 'ﾔﾏﾀﾞ ﾀﾛｳ', ediInfo: 'x'.repeat(21) },
      ],
    }), undefined, now));
    t.equal(e1.status, 400);
    t.equal(e1.code, 'invalid_parameter');
    t.same(codesOf(e1), {
      request: ['220002', '220003', '220004', '220005', '220006', '220007', '220008'],
      items: ['1:221001,221003,221003,221005,221006,221007', '3:221008'],
    });
    t.ok(e1.errorDetails.every((d) => d.errorDetailsMessage.length > 0));

    const past = await refusal(t, requestTransfer(db, ctx, bodyFor(w, { transferDesignatedDate: addDays(today(now), -1) }), undefined, now));
    t.same(codesOf(past).request, ['220004'], 'a past date');
    const far = await refusal(t, requestTransfer(db, ctx, bodyFor(w, { transferDesignatedDate: addDays(today(now), 31) }), undefined, now));
    t.same(codesOf(far).request, ['220004'], 'more than 30 days ahead');
    const ok30 = await requestTransfer(db, ctx, bodyFor(w, { transferDesignatedDate: addDays(today(now), 30) }), undefined, now);
    t.equal(ok30.body.resultCode, '2', '30 days ahead is accepted');
    const sum = await refusal(t, requestTransfer(db, ctx, bodyFor(w, { totalCount: '1', totalAmount: '9999' }), undefined, now));
    t.same(codesOf(sum).request, ['220003'], 'totalAmount must add up');
    const empty = await refusal(t, requestTransfer(db, ctx, bodyFor(w, { transfers: [] }), undefined, now));
    t.same(codesOf(empty).request, ['220001'], 'no items');
    const junk = await refusal(t, requestTransfer(db, ctx, { accountId: 'x' } as never, undefined, now));
    t.ok(junk.errorDetails.length >= 2, 'a body missing everything is refused, not a 500');
    const refusals = await db.selectFrom('audit_events').select('details').where('type', '=', 'transfer.refused').where('customer_id', '=', w.customerId).execute();
    t.ok(refusals.length >= 6, 'every refusal is audited');
  });

  await t.test('business rules: 振込限度額, unknown in-bank account, the debit account itself', async (t) => {
    const ctx = ctxFor(w, w.requester);
    const item = (over: Record<string, string>) => ({
      itemId: '1', transferAmount: '1000', beneficiaryBankCode: '0310', beneficiaryBranchCode: w.beneficiary.branchCode, accountTypeCode: '1',
      accountNumber: w.beneficiary.accountNumber, beneficiaryName: 'ｳｹﾄﾘ', ...over,
    });
    const atLimit = await requestTransfer(db, ctx, bodyFor(w, { amount: '2000000' }), undefined, now);
    t.equal(atLimit.body.resultCode, '2', 'an amount equal to transferLimitAmount is accepted');
    const e = await refusal(t, requestTransfer(db, ctx, bodyFor(w, {
      totalCount: '3', totalAmount: '2002001',
      transfers: [item({ itemId: '1', transferAmount: '2000001' }), item({ itemId: '2', accountNumber: '0000001' }), item({ itemId: '3', beneficiaryBranchCode: '101', accountNumber: w.debit.accountNumber })],
    }), undefined, now));
    t.equal(e.code, 'transfer_refused');
    t.same(codesOf(e), { request: [], items: ['1:221002', '2:221004', '3:221009'] });
    const other = await requestTransfer(db, ctx, bodyFor(w, { transfers: [item({ beneficiaryBankCode: '0005', accountNumber: '0000001' })] }), undefined, now);
    t.equal(other.body.resultCode, '2', 'another bank\'s account is not looked up');
  });

  await t.test('permission at request time', async (t) => {
    const body = bodyFor(w);
    const notCovered = await appError(requestTransfer(db, ctxFor(w, w.requester, { grantAccountIds: [w.second.id] }), body, undefined, now));
    t.same([notCovered.status, notCovered.code], [403, 'account_forbidden'], 'the grant does not cover the account');
    const second = await appError(requestTransfer(db, ctxFor(w, w.requester), bodyFor(w, { accountId: w.second.publicId }), undefined, now));
    t.same([second.status, second.code], [403, 'forbidden'], '照会 but no 振込・振替 on the account');
    t.match(second.messages.ja, /振込・振替権限/);
    const byMaster = await requestTransfer(db, ctxFor(w, w.master), bodyFor(w, { accountId: w.second.publicId }), undefined, now);
    t.equal(byMaster.body.resultCode, '2', 'the master holds every right on every account');
    const unknown = await appError(requestTransfer(db, ctxFor(w, w.requester), bodyFor(w, { accountId: '999019999999' }), undefined, now));
    t.same([unknown.status, unknown.code], [403, 'account_forbidden'], 'an unknown account');
    // The right removed: effective on the next call.
    await db.updateTable('group_account_rights').set({ transfer: false }).where('group_id', '=', w.requesterGroupId).where('account_id', '=', w.debit.id).execute();
    const removed = await appError(requestTransfer(db, ctxFor(w, w.requester), body, undefined, now));
    t.same([removed.status, removed.code], [403, 'forbidden'], 'a removed 振込・振替 right refuses the next request');
    await db.updateTable('group_account_rights').set({ transfer: true }).where('group_id', '=', w.requesterGroupId).where('account_id', '=', w.debit.id).execute();
    await db.deleteFrom('pin_registrations').where('user_id', '=', w.requester.id).where('account_id', '=', w.debit.id).execute();
    const noPin = await appError(requestTransfer(db, ctxFor(w, w.requester), body, undefined, now));
    t.same([noPin.status, noPin.code], [403, 'account_forbidden'], 'no PIN registration');
    await db.insertInto('pin_registrations').values({ user_id: w.requester.id, account_id: w.debit.id, customer_id: w.customerId }).execute();
    await db.updateTable('users').set({ status: 'locked', locked_at: new Date(), login_failed_count: 5 }).where('id', '=', w.requester.id).execute();
    const locked = await appError(requestTransfer(db, ctxFor(w, w.requester), body, undefined, now));
    t.same([locked.status, locked.code], [401, 'invalid_token'], 'a user no longer active');
    await db.updateTable('users').set({ status: 'active', locked_at: null, login_failed_count: 0 }).where('id', '=', w.requester.id).execute();
    const back = await requestTransfer(db, ctxFor(w, w.requester), body, undefined, now);
    t.equal(back.body.resultCode, '2');
  });

  await t.test('idempotency: same key and body → same answer; another body → 409', async (t) => {
    const ctx = ctxFor(w, w.requester);
    const before = await db.selectFrom('transfer_applications').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    const first = await requestTransfer(db, ctx, bodyFor(w, { amount: '777' }), 'key-1', now);
    const again = await requestTransfer(db, ctx, bodyFor(w, { amount: '777' }), 'key-1', now);
    t.same(again.body, first.body, 'the same answer');
    t.equal(again.replayed, true);
    const after = await db.selectFrom('transfer_applications').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    t.equal(after.n - before.n, 1, 'one application');
    const conflict = await appError(requestTransfer(db, ctx, bodyFor(w, { amount: '778' }), 'key-1', now));
    t.ok(conflict instanceof IdempotencyConflict);
    t.same([conflict.status, conflict.code], [409, 'idempotency_conflict']);
    const otherUser = await appError(requestTransfer(db, ctxFor(w, w.approver), bodyFor(w, { amount: '777' }), 'key-1', now));
    t.same([otherUser.status, otherUser.code], [409, 'idempotency_conflict'], 'another user cannot replay someone\'s key');
    // Sent twice at once: one application, both answered alike.
    const [a, b] = await Promise.all([
      requestTransfer(db, ctx, bodyFor(w, { amount: '888' }), 'key-race', now),
      requestTransfer(db, ctx, bodyFor(w, { amount: '888' }), 'key-race', now),
    ]);
    t.equal(a.body.applyNo, b.body.applyNo, 'concurrent duplicates get one applyNo');
    const rows = await db.selectFrom('transfer_applications').select('id').where('idempotency_key', '=', 'key-race').execute();
    t.equal(rows.length, 1);
    const noKey1 = await requestTransfer(db, ctx, bodyFor(w, { amount: '999' }), undefined, now);
    const noKey2 = await requestTransfer(db, ctx, bodyFor(w, { amount: '999' }), undefined, now);
    t.not(noKey1.body.applyNo, noKey2.body.applyNo, 'without a key every request is new');
  });

  await t.test('fee quote', async (t) => {
    const q = await quoteTransferFee(db, ctxFor(w, w.requester), bodyFor(w, {
      totalCount: '3', totalAmount: '80000',
      transfers: [
        { itemId: '1', transferAmount: '10000', beneficiaryBankCode: '0310', beneficiaryBranchCode: w.beneficiary.branchCode, accountTypeCode: '1', accountNumber: w.beneficiary.accountNumber, beneficiaryName: 'ｱ' },
        { itemId: '2', transferAmount: '20000', beneficiaryBankCode: '0005', beneficiaryBranchCode: '001', accountTypeCode: '1', accountNumber: '1234567', beneficiaryName: 'ｲ' },
        { itemId: '3', transferAmount: '50000', beneficiaryBankCode: '0009', beneficiaryBranchCode: '001', accountTypeCode: '2', accountNumber: '7654321', beneficiaryName: 'ｳ' },
      ],
    }), now);
    t.equal(q.accountId, w.debit.publicId);
    t.equal(q.totalFee, '390');
    t.same(q.transferFeeDetails, [{ itemId: '1', transferFee: '0' }, { itemId: '2', transferFee: '145' }, { itemId: '3', transferFee: '245' }]);
    t.match(q.baseTime, /^\d{2}:\d{2}:\d{2}\+09:00$/);
  });

  await t.test('request-result, status (both key classes, paging) and cancel', async (t) => {
    const ctx = ctxFor(w, w.requester);
    const r = await requestTransfer(db, ctx, bodyFor(w, { amount: '4321', applyComment: '家賃' }), undefined, now);
    const res = await requestResult(db, ctx, { accountId: w.debit.publicId, applyNo: r.body.applyNo }, now);
    t.same(res, { accountId: w.debit.publicId, resultCode: '2', applyNo: r.body.applyNo, applyEndDatetime: r.body.applyEndDatetime });
    const later = await requestResult(db, ctx, { accountId: w.debit.publicId, applyNo: r.body.applyNo }, new Date(now.getTime() + 25 * 3600_000));
    t.equal(later.resultCode, '8', 'past its end it reads as expired even before the sweep');
    const missing = await appError(requestResult(db, ctx, { accountId: w.debit.publicId, applyNo: '1234567890123456' }, now));
    t.equal(missing.status, 404);
    const bad = await appError(requestResult(db, ctx, { accountId: w.debit.publicId, applyNo: '12' }, now));
    t.equal(bad.status, 400);
    const foreign = await appError(requestResult(db, ctxFor(w, w.requester, { clientId: 'someone-else' }), { accountId: w.debit.publicId, applyNo: r.body.applyNo }, now));
    t.equal(foreign.status, 404, 'another client does not see it');

    const one = await transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '1', applyNo: r.body.applyNo }, now);
    t.equal(one.count, '1');
    const d = one.transferDetails[0]!;
    t.equal(d.transferStatus, '2');
    t.equal(d.transferStatusName, '申請中');
    t.equal(d.transferApplies[0]!.transferApplyDetails[0]!.applyUser, '申請 次郎');
    t.equal(d.transferApplies[0]!.transferApplyDetails[0]!.applyComment, '家賃');
    t.equal(d.transferResponses[0]!.transferInfos[0]!.transferAmount, '4321');
    const wrongMix = await appError(transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '1', applyNo: r.body.applyNo, dateFrom: '2026-01-01' }, now));
    t.equal(wrongMix.status, 400, 'class 1 with class 2 parameters');
    const noApply = await appError(transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '2', applyNo: r.body.applyNo }, now));
    t.equal(noApply.status, 400, 'class 2 with applyNo');
    const badRange = await appError(transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '2', dateFrom: '2026-12-05', dateTo: '2026-12-01' }, now));
    t.equal(badRange.status, 400, 'dateFrom after dateTo');

    // Paging: every application of this client on the account, by seq, 100 a page.
    const all = await db.selectFrom('transfer_applications').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', w.debit.id).where('client_id', '=', w.clientId).executeTakeFirstOrThrow();
    for (let i = all.n; i < 105; i++) await requestTransfer(db, ctx, bodyFor(w, { amount: String(100 + i) }), undefined, now);
    const p1 = await transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '2' }, now);
    t.equal(p1.count, '100');
    t.equal(p1.hasNext, true);
    t.match(p1.nextItemKey, /^\d+$/);
    const p2 = await transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '2', nextItemKey: p1.nextItemKey }, now);
    t.equal(p2.count, '5');
    t.equal(p2.hasNext, false);
    t.notOk('nextItemKey' in p2);
    const applyNos = new Set([...p1.transferDetails, ...p2.transferDetails].map((x) => x.transferApplies[0]!.applyNo));
    t.equal(applyNos.size, 105, 'no application twice, none missed');
    const byDate = await transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '2', requestTransferTerm: '2', dateFrom: addDays(today(now), 30), dateTo: addDays(today(now), 30) }, now);
    t.equal(byDate.count, '1', 'by designated date: the one 30 days ahead');
    const pendingOnly = await transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '2', requestTransferStatus: ['20'] }, now);
    t.equal(pendingOnly.count, '0', 'none executed yet');

    const cancelled = await cancelTransfer(db, ctx, { accountId: w.debit.publicId, cancelTargetKeyClass: '1', applyNo: r.body.applyNo }, now);
    t.equal(cancelled.applyNo, r.body.applyNo);
    const after = await transferStatus(db, ctx, { accountId: w.debit.publicId, queryKeyClass: '1', applyNo: r.body.applyNo }, now);
    t.equal(after.transferDetails[0]!.transferStatus, '4', 'withdrawn: transferStatus 4');
    t.equal((await requestResult(db, ctx, { accountId: w.debit.publicId, applyNo: r.body.applyNo }, now)).resultCode, '8');
    const twice = await appError(cancelTransfer(db, ctx, { accountId: w.debit.publicId, cancelTargetKeyClass: '1', applyNo: r.body.applyNo }, now));
    t.equal(twice.status, 409, 'a second cancel is refused');
    const class2 = await appError(cancelTransfer(db, ctx, { accountId: w.debit.publicId, cancelTargetKeyClass: '2', applyNo: r.body.applyNo }, now));
    t.equal(class2.status, 400);
    const other = await requestTransfer(db, ctxFor(w, w.master), bodyFor(w), undefined, now);
    const notMine = await appError(cancelTransfer(db, ctx, { accountId: w.debit.publicId, cancelTargetKeyClass: '1', applyNo: other.body.applyNo }, now));
    t.equal(notMine.status, 403, 'only the requester cancels');
    t.ok(await db.selectFrom('audit_events').select('id').where('type', '=', 'transfer.cancelled').executeTakeFirst(), 'the cancel is audited');
  });
});
