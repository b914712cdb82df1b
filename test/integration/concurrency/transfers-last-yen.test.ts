import t from 'tap';
import { sql } from 'kysely';
import { loadActor } from '../../../src/business-id/actor.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { approveApplication } from '../../../src/transfers/approvals.service.ts';
import { requestTransfer } from '../../../src/transfers/transfers.service.ts';
import { createTestDatabase, testDatabaseUrl } from '../../helpers/database.ts';
import { addDebitAccount, balances, bodyFor, ctxFor, makeWorld, TX_PASSWORD } from '../transfers/transfer-fixture.ts';
import { runWorkers } from './transfer-workers.ts';

/**
 * Two transfers racing for the last yen (DESIGN §17: never overdrawing). Each of several accounts holds just
 * enough for one of two transfers; the two are approved (and so executed) at the same moment, on PostgreSQL
 * by two processes, on PGlite by two concurrent callers. Per account exactly one goes through, the other is
 * 手続不成立, and no balance or withdrawable amount ever goes below zero.
 */
const ACCOUNTS = 10;
const BALANCE = 50_000;
const mode = testDatabaseUrl ? 'two processes (PostgreSQL)' : 'two concurrent callers in one process (PGlite)';

t.test(`two transfers racing for the last yen, ${mode}: never negative`, async (t) => {
  t.setTimeout(300_000);
  const database = await createTestDatabase(t);
  const { db } = database;
  const w = await makeWorld(db, { balance: 0, approvalLimit: 1_000_000, selfApprovalLimit: 0 });
  const accounts = [];
  for (let i = 0; i < ACCOUNTS; i++) accounts.push(await addDebitAccount(w, BALANCE));
  const ctx = ctxFor(w, w.requester, { grantAccountIds: accounts.map((a) => a.id) });
  const side: Array<Array<{ id: string; version: number }>> = [[], []];
  for (const a of accounts) {
    for (const s of [0, 1]) {
      // Each transfer takes the whole balance: only one of the two can be paid.
      const r = await requestTransfer(db, ctx, bodyFor(w, { accountId: a.publicId, amount: String(BALANCE) }), undefined, new Date());
      side[s]!.push(await db.selectFrom('transfer_applications').select(['id', 'version']).where('apply_no', '=', r.body.applyNo).executeTakeFirstOrThrow());
    }
  }
  const approvers = [w.approver.id, w.master.id];
  let results: string[][];
  if (database.url) {
    const databaseUrl = database.url;
    const workers = await runWorkers(t, approvers.map((userId, i) => ({ op: 'approve' as const, databaseUrl, userId, password: TX_PASSWORD, applications: side[i]! })));
    results = (await Promise.all(workers.map((wk) => wk.result))) as string[][];
  } else {
    results = await Promise.all(approvers.map(async (userId, i) => {
      const actor = (await loadActor(db, userId))!;
      const out: string[] = [];
      for (const a of side[i]!) {
        try {
          out.push((await approveApplication(db, actor, { applicationId: a.id, version: a.version, transactionPassword: TX_PASSWORD })).status);
        } catch (err) {
          out.push(err instanceof AppError ? `${err.status}:${err.code}` : String(err));
        }
      }
      return out;
    }));
  }
  const all = results.flat();
  const executed = all.filter((r) => r === 'executed').length;
  const failed = all.filter((r) => r === 'failed').length;
  t.comment(`transfers approved at once: ${all.length}; executed: ${executed}; 手続不成立 (insufficient funds): ${failed}; other: ${all.length - executed - failed}`);
  t.equal(executed, ACCOUNTS, 'one transfer per account went through');
  t.equal(failed, ACCOUNTS, 'the other found no money left');
  for (const [i, a] of accounts.entries()) {
    t.equal([results[0]![i], results[1]![i]].sort().join(','), 'executed,failed', `account ${i + 1}: one executed, one failed`);
    t.same(await balances(db, a.id), { balance: 0, withdrawable: 0 }, `account ${i + 1}: exactly the last yen spent`);
  }
  const lowest = await db.selectFrom('accounts').select([sql<string>`min(balance)`.as('b'), sql<string>`min(withdrawable_amount)`.as('w')])
    .where('customer_id', '=', w.customerId).executeTakeFirstOrThrow();
  t.ok(Number(lowest.b) >= 0 && Number(lowest.w) >= 0, 'no account of the customer below zero');
  const negativeLines = await db.selectFrom('transactions').select('id').where('account_id', 'in', accounts.map((a) => a.id)).where('balance_after', '<', '0').execute();
  t.equal(negativeLines.length, 0, 'no statement line with a negative running balance');
  t.same(await balances(db, w.beneficiary.id), { balance: ACCOUNTS * BALANCE, withdrawable: ACCOUNTS * BALANCE }, 'the beneficiary got exactly the transfers that went through');
});
