import t from 'tap';
import { loadActor } from '../../../src/business-id/actor.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { approveApplication } from '../../../src/transfers/approvals.service.ts';
import { requestTransfer } from '../../../src/transfers/transfers.service.ts';
import { createTestDatabase, testDatabaseUrl } from '../../helpers/database.ts';
import { balances, bodyFor, ctxFor, makeWorld, TX_PASSWORD } from '../transfers/transfer-fixture.ts';
import { runWorkers } from './transfer-workers.ts';

/**
 * Two approvals of the same applications at once (DESIGN §17: exactly once under concurrency). On PostgreSQL
 * by two separate processes with their own pools, as two renkei instances behind a load balancer; on PGlite
 * (one process by nature) by two concurrent callers in this process. Every application must be executed
 * exactly once: one approval wins, the other gets 409, and the money moves once.
 */
const APPLICATIONS = 20;
const AMOUNT = 1000;
const mode = testDatabaseUrl ? 'two processes (PostgreSQL)' : 'two concurrent callers in one process (PGlite)';

t.test(`two approvals of each application at once, ${mode}: exactly one execution each`, async (t) => {
  t.setTimeout(300_000);
  const database = await createTestDatabase(t);
  const { db } = database;
  const w = await makeWorld(db, { balance: 1_000_000, approvalLimit: 1_000_000, selfApprovalLimit: 0 });
  const apps: Array<{ id: string; version: number }> = [];
  for (let i = 0; i < APPLICATIONS; i++) {
    const r = await requestTransfer(db, ctxFor(w, w.requester), bodyFor(w, { amount: String(AMOUNT) }), undefined, new Date());
    apps.push(await db.selectFrom('transfer_applications').select(['id', 'version']).where('apply_no', '=', r.body.applyNo).executeTakeFirstOrThrow());
  }
  const approvers = [w.approver.id, w.master.id];
  let results: string[][];
  if (database.url) {
    const databaseUrl = database.url;
    const workers = await runWorkers(t, approvers.map((userId) => ({ op: 'approve' as const, databaseUrl, userId, password: TX_PASSWORD, applications: apps })));
    t.not(workers[0]!.pid, workers[1]!.pid);
    results = (await Promise.all(workers.map((wk) => wk.result))) as string[][];
  } else {
    results = await Promise.all(approvers.map(async (userId) => {
      const actor = (await loadActor(db, userId))!;
      const out: string[] = [];
      for (const a of apps) {
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
  const conflicts = all.filter((r) => r.startsWith('409:conflict')).length;
  const lost = all.filter((r) => r === '409:conflict:lost').length;
  t.comment(`approvals sent: ${all.length}; executed: ${executed}; refused 409: ${conflicts} (of which ${lost} read it pending and lost the conditional UPDATE); other: ${all.length - executed - conflicts}`);
  t.equal(executed, APPLICATIONS, 'each application executed by exactly one of the two approvals');
  t.equal(conflicts, APPLICATIONS, 'the other approval of each was refused with 409');
  for (let i = 0; i < APPLICATIONS; i++) t.equal([results[0]![i], results[1]![i]].filter((r) => r === 'executed').length, 1, `application ${i + 1}: one winner`);

  const executions = await db.selectFrom('audit_events').select('id').where('type', '=', 'transfer.executed').where('customer_id', '=', w.customerId).execute();
  t.equal(executions.length, APPLICATIONS, 'one transfer.executed audit row per application');
  const debitLines = await db.selectFrom('transactions').select('id').where('account_id', '=', w.debit.id).where('transaction_type', '=', 2).execute();
  t.equal(debitLines.length, APPLICATIONS, 'one debit line per application');
  const creditLines = await db.selectFrom('transactions').select('id').where('account_id', '=', w.beneficiary.id).execute();
  t.equal(creditLines.length, APPLICATIONS, 'one credit line per application');
  t.same(await balances(db, w.debit.id), { balance: 1_000_000 - APPLICATIONS * AMOUNT, withdrawable: 1_000_000 - APPLICATIONS * AMOUNT });
  t.same(await balances(db, w.beneficiary.id), { balance: APPLICATIONS * AMOUNT, withdrawable: APPLICATIONS * AMOUNT });
});
