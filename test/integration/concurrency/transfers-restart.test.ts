import t from 'tap';
import { loadActor } from '../../../src/business-id/actor.ts';
import { approveApplication } from '../../../src/transfers/approvals.service.ts';
import { executeApplication, executeDueTransfers } from '../../../src/transfers/execution.ts';
import { requestTransfer } from '../../../src/transfers/transfers.service.ts';
import { createTestDatabase, testDatabaseUrl } from '../../helpers/database.ts';
import { addDays, balances, bodyFor, ctxFor, makeWorld, today, TX_PASSWORD } from '../transfers/transfer-fixture.ts';
import { runWorkers } from './transfer-workers.ts';

/**
 * A restart between approval and execution (DESIGN §17): an application approved for a later date is
 * 予約中; on its day, a process that is executing it dies before committing (killed with SIGKILL while it
 * holds the transaction); a new process's sweep executes it, exactly once, and a further sweep does nothing.
 * On PGlite (one process) the dying process is a transaction rolled back instead of a killed process.
 */
const mode = testDatabaseUrl ? 'process killed mid-execution (PostgreSQL)' : 'execution rolled back in one process (PGlite)';

t.test(`restart between approval and execution, ${mode}: the new sweep executes once`, async (t) => {
  t.setTimeout(300_000);
  const database = await createTestDatabase(t);
  const { db } = database;
  const w = await makeWorld(db, { balance: 100_000, approvalLimit: 1_000_000 });
  const day = addDays(today(), 2);
  const r = await requestTransfer(db, ctxFor(w, w.requester), bodyFor(w, { amount: '40000', transferDesignatedDate: day }), undefined, new Date());
  const app = await db.selectFrom('transfer_applications').select(['id', 'version']).where('apply_no', '=', r.body.applyNo).executeTakeFirstOrThrow();
  const approved = await approveApplication(db, (await loadActor(db, w.approver.id))!, { applicationId: app.id, version: app.version, transactionPassword: TX_PASSWORD });
  t.equal(approved.status, 'scheduled', 'approved for a later date: 予約中');
  const onTheDay = new Date(`${day}T08:30:00+09:00`);
  const status = async () => (await db.selectFrom('transfer_applications').select('status').where('id', '=', app.id).executeTakeFirstOrThrow()).status;

  if (database.url) {
    const [dying] = await runWorkers(t, [{ op: 'hold', databaseUrl: database.url, applicationId: app.id, now: onTheDay.toISOString() }]);
    t.same(await dying!.result, { outcome: 'executed', committed: false }, 'the first process executed it but has not committed');
    await dying!.kill();
    t.comment(`killed worker process ${dying!.pid} inside its transaction`);
  } else {
    await db.transaction().execute(async (trx) => {
      t.equal(await executeApplication(trx, app.id, onTheDay), 'executed', 'executed inside a transaction…');
      throw new Error('crash');
    }).catch((err: Error) => t.equal(err.message, 'crash', '…that dies before committing'));
  }
  t.equal(await status(), 'scheduled', 'after the crash it is still 予約中');
  t.same(await balances(db, w.debit.id), { balance: 100_000, withdrawable: 100_000 }, 'and nothing was debited');

  let sweeps: Array<Record<string, number>>;
  if (database.url) {
    const [first] = await runWorkers(t, [{ op: 'sweep', databaseUrl: database.url, now: onTheDay.toISOString() }]);
    const a = (await first!.result) as Record<string, number>;
    const [second] = await runWorkers(t, [{ op: 'sweep', databaseUrl: database.url, now: onTheDay.toISOString() }]);
    sweeps = [a, (await second!.result) as Record<string, number>];
  } else {
    sweeps = [await executeDueTransfers(db, onTheDay), await executeDueTransfers(db, onTheDay)];
  }
  t.comment(`sweep after restart: ${JSON.stringify(sweeps[0])}; next sweep: ${JSON.stringify(sweeps[1])}`);
  t.same(sweeps[0], { executed: 1, failed: 0, skipped: 0 }, 'the new process executes it');
  t.same(sweeps[1], { executed: 0, failed: 0, skipped: 0 }, 'a further sweep finds nothing');
  t.equal(await status(), 'executed');
  t.same(await balances(db, w.debit.id), { balance: 60_000, withdrawable: 60_000 }, 'debited once');
  t.same(await balances(db, w.beneficiary.id), { balance: 40_000, withdrawable: 40_000 }, 'credited once');
  const executions = await db.selectFrom('audit_events').select('id').where('type', '=', 'transfer.executed').where('customer_id', '=', w.customerId).execute();
  t.equal(executions.length, 1, 'one transfer.executed audit row');
});
