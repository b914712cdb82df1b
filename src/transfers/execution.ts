import { sql } from 'kysely';
import { recordAudit, recordAudits, type RequestContext } from '../audit/audit.repository.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { enqueueMails } from '../mail/outbox.repository.ts';
import { jstDate } from '../shared/jst.ts';
import { requesterMail } from './transfer-mails.ts';
import { loadApplication, loadApplications, mailFacts } from './transfers.repository.ts';

/**
 * Execution of approved transfers (DESIGN §17): the debit, its statement lines and, for a beneficiary
 * account of this bank, the credit, in ONE transaction with the status change, so a transfer is executed
 * exactly once however many approvals, sweeps, instances or restarts race for it:
 * - the application is claimed by one conditional UPDATE (scheduled → executed); whoever loses does nothing;
 * - the accounts involved are locked in id order (no deadlock between opposite transfers), and the debit is
 *   one conditional UPDATE on the withdrawable amount, so an account is never overdrawn: without the funds
 *   the application becomes 手続不成立 (failed) and nothing is debited.
 */

export type ExecutionOutcome = 'executed' | 'failed' | 'skipped';

/** Statement remarks (摘要), in half-width kana as the bank's statements print them. */
const DEBIT_REMARKS = (beneficiaryName: string) => `ﾌﾘｺﾐ ${beneficiaryName}`.slice(0, 200);
const CREDIT_REMARKS = (remitterName: string) => `ﾌﾘｺﾐ ${remitterName}`.slice(0, 200);
const FEE_REMARKS = 'ﾌﾘｺﾐﾃｽｳﾘｮｳ';

interface Line {
  accountId: string;
  type: 1 | 2;
  amount: bigint;
  remarks: string;
}

/** Appends statement lines to one locked account, continuing its running balance and item keys. */
async function appendLines(trx: Db, accountId: string, lines: Line[], today: string): Promise<void> {
  if (lines.length === 0) return;
  const last = await trx
    .selectFrom('transactions')
    .select(['item_key', 'balance_after'])
    .where('account_id', '=', accountId)
    .orderBy('item_key', 'desc')
    .limit(1)
    .executeTakeFirst();
  let balance: bigint;
  if (last) balance = BigInt(String(last.balance_after).split('.')[0]!);
  else {
    const acc = await trx.selectFrom('accounts').select('balance').where('id', '=', accountId).executeTakeFirstOrThrow();
    balance = BigInt(String(acc.balance).split('.')[0]!);
  }
  let itemKey = last ? BigInt(String(last.item_key)) : 0n;
  const rows = lines.map((l) => {
    balance += l.type === 1 ? l.amount : -l.amount;
    itemKey += 1n;
    return {
      account_id: accountId, item_key: itemKey.toString(), transaction_date: today, value_date: today,
      transaction_type: l.type, amount: l.amount.toString(), balance_after: balance.toString(), remarks: l.remarks,
    };
  });
  await trx.insertInto('transactions').values(rows).execute();
}

/**
 * Locks every account an application touches (debit and in-bank beneficiaries), in id order so that opposite
 * transfers never deadlock. Call it FIRST in a transaction that will execute: a second UPDATE of the
 * application row in one transaction re-checks its foreign key to accounts (FOR KEY SHARE), and two
 * transactions holding that share lock on one account would each wait for the other's to take FOR UPDATE.
 */
export async function lockApplicationAccounts(trx: Db, applicationId: string): Promise<void> {
  const rows = await trx
    .selectFrom('transfer_applications as t')
    .leftJoin('transfer_items as i', 'i.application_id', 't.id')
    .select(['t.account_id', 'i.beneficiary_account_id'])
    .where('t.id', '=', applicationId)
    .execute();
  const ids = [...new Set(rows.flatMap((r) => [r.account_id, r.beneficiary_account_id]).filter((id): id is string => id !== null))];
  if (ids.length > 0) await trx.selectFrom('accounts').select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

/**
 * Executes one approved application whose designated date has come, in the caller's transaction (or a new
 * one): 'executed', 'failed' (not enough withdrawable funds: nothing moved) or 'skipped' (not scheduled or
 * not due: another approval, sweep or instance got there first).
 */
export async function executeApplication(db: Db, applicationId: string, now: Date, context?: RequestContext): Promise<ExecutionOutcome> {
  const today = jstDate(now);
  return inTransaction(db, async (trx) => {
    await lockApplicationAccounts(trx, applicationId);
    const claimed = await trx
      .updateTable('transfer_applications')
      .set((eb) => ({ status: 'executed', executed_at: now, version: sql<number>`${eb.ref('version')} + 1`, updated_at: now }))
      .where('id', '=', applicationId)
      .where('status', '=', 'scheduled')
      .where('designated_date', '<=', today)
      .returning(['id'])
      .executeTakeFirst();
    if (!claimed) return 'skipped';
    const app = (await loadApplication(trx, applicationId))!;
    const total = BigInt(app.totalAmount) + BigInt(app.totalFee);
    const credited = [...new Set(app.items.map((i) => i.beneficiaryAccountId).filter((id): id is string => id !== null))];

    const debited = await trx
      .updateTable('accounts')
      .set((eb) => ({ withdrawable_amount: sql<string>`${eb.ref('withdrawable_amount')} - ${total.toString()}::numeric`, updated_at: now }))
      .where('id', '=', app.accountId)
      .where(sql<boolean>`withdrawable_amount >= ${total.toString()}::numeric`)
      .returning('id')
      .executeTakeFirst();
    const audit = { customerId: app.customerId, subjectUserId: app.requestedByUserId, context };
    if (!debited) {
      await trx
        .updateTable('transfer_applications')
        .set({ status: 'failed', executed_at: null, failure_reason: 'insufficient_funds', updated_at: now })
        .where('id', '=', applicationId)
        .execute();
      await recordAudit(trx, { ...audit, type: 'transfer.failed', outcome: 'failure', details: { applyNo: app.applyNo, reason: 'insufficient_funds', amount: app.totalAmount } });
      await enqueueMails(trx, [requesterMail(app.requesterEmail, 'failed', mailFacts(app))]);
      return 'failed';
    }

    const debitLines: Line[] = app.items.map((i) => ({ accountId: app.accountId, type: 2, amount: BigInt(i.amount), remarks: DEBIT_REMARKS(i.beneficiaryName) }));
    if (BigInt(app.totalFee) > 0n) debitLines.push({ accountId: app.accountId, type: 2, amount: BigInt(app.totalFee), remarks: FEE_REMARKS });
    await appendLines(trx, app.accountId, debitLines, today);

    for (const accountId of credited) {
      const items = app.items.filter((i) => i.beneficiaryAccountId === accountId);
      const amount = items.reduce((s, i) => s + BigInt(i.amount), 0n);
      await trx
        .updateTable('accounts')
        .set((eb) => ({ withdrawable_amount: sql<string>`${eb.ref('withdrawable_amount')} + ${amount.toString()}::numeric`, updated_at: now }))
        .where('id', '=', accountId)
        .execute();
      await appendLines(trx, accountId, items.map((i) => ({ accountId, type: 1, amount: BigInt(i.amount), remarks: CREDIT_REMARKS(app.remitterName) })), today);
    }

    await recordAudit(trx, {
      ...audit, type: 'transfer.executed',
      details: { applyNo: app.applyNo, amount: app.totalAmount, fee: app.totalFee, items: app.itemCount, inBankCredits: credited.length },
    });
    await enqueueMails(trx, [requesterMail(app.requesterEmail, 'executed', mailFacts(app))]);
    return 'executed';
  });
}

/** How many due applications one sweep run takes at most (the next run continues). */
const EXECUTION_BATCH = 200;

/**
 * The sweep of scheduled transfers (DESIGN §16): every approved application whose designated date has come,
 * each in its own transaction (one failing account does not hold back the others).
 */
export async function executeDueTransfers(db: Db, now: Date): Promise<{ executed: number; failed: number; skipped: number }> {
  const due = await db
    .selectFrom('transfer_applications')
    .select('id')
    .where('status', '=', 'scheduled')
    .where('designated_date', '<=', jstDate(now))
    .orderBy('designated_date')
    .orderBy('seq')
    .limit(EXECUTION_BATCH)
    .execute();
  const counts = { executed: 0, failed: 0, skipped: 0 };
  for (const { id } of due) counts[await executeApplication(db, id, now)]++;
  return counts;
}

/**
 * The expiry sweep: pending applications past their apply_end_at become 期限切れ (resultCode 8,
 * transferStatus 5) by one conditional UPDATE, with their audit rows and the requesters' mails in the
 * same transaction.
 */
export async function expireTransferApplications(db: Db, now: Date): Promise<number> {
  return inTransaction(db, async (trx) => {
    const expired = await trx
      .updateTable('transfer_applications')
      .set((eb) => ({ status: 'expired', version: sql<number>`${eb.ref('version')} + 1`, updated_at: now }))
      .where('id', 'in', (eb) => eb
        .selectFrom('transfer_applications')
        .select('id')
        .where('status', '=', 'pending')
        .where('apply_end_at', '<=', now)
        .limit(500))
      .where('status', '=', 'pending')
      .returning(['id'])
      .execute();
    if (expired.length === 0) return 0;
    const apps = await loadApplications(trx, (q) => q.where('t.id', 'in', expired.map((e) => e.id)));
    await recordAudits(trx, apps.map((a) => ({
      type: 'transfer.expired', customerId: a.customerId, subjectUserId: a.requestedByUserId, details: { applyNo: a.applyNo, clientId: a.clientId },
    })));
    await enqueueMails(trx, apps.map((a) => requesterMail(a.requesterEmail, 'expired', mailFacts(a))));
    return expired.length;
  });
}
