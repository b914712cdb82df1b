import { sql } from 'kysely';
import t from 'tap';
import { loadActor } from '../../../src/business-id/actor.ts';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { startJobs } from '../../../src/jobs/jobs.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { approveApplication } from '../../../src/transfers/approvals.service.ts';
import { requestTransfer } from '../../../src/transfers/transfers.service.ts';
import { memoryLogSink } from '../../helpers/build-app.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { addDays, balances, bodyFor, ctxFor, makeWorld, today, TX_PASSWORD } from './transfer-fixture.ts';

/**
 * The transfer sweeps as the scheduled work runs them (DESIGN §16, §17): queued on pg-boss, they execute an
 * approved transfer whose designated date has come and expire an application past its apply_end_at.
 */
t.setTimeout(120_000);

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

t.test('transfer-executions and transfer-expiry on the job runner', async (t) => {
  const database = await createTestDatabase(t);
  const { db } = database;
  const w = await makeWorld(db, { balance: 100_000, approvalLimit: 1_000_000 });
  const ctx = ctxFor(w, w.requester);
  // One approved for tomorrow, then its day "comes": the designated date is moved to today.
  const scheduled = await requestTransfer(db, ctx, bodyFor(w, { amount: '7000', transferDesignatedDate: addDays(today(), 1) }), undefined, new Date());
  const s = await db.selectFrom('transfer_applications').select(['id', 'version']).where('apply_no', '=', scheduled.body.applyNo).executeTakeFirstOrThrow();
  const approved = await approveApplication(db, (await loadActor(db, w.approver.id))!, { applicationId: s.id, version: s.version, transactionPassword: TX_PASSWORD });
  t.equal(approved.status, 'scheduled');
  await db.updateTable('transfer_applications').set({ designated_date: today() }).where('id', '=', s.id).execute();
  // One pending whose end has passed.
  const stale = await requestTransfer(db, ctx, bodyFor(w, { amount: '1000' }), undefined, new Date());
  await db.updateTable('transfer_applications').set({ apply_end_at: new Date(Date.now() - 1000) }).where('apply_no', '=', stale.body.applyNo).execute();

  const sink = memoryLogSink();
  let delivered = 0;
  const runner = await startJobs({
    db, kind: database.kind, databaseUrl: database.url, logger: createLogger('info', sink.stream),
    deliverMail: async () => { delivered++; return new Set<string>(); },
    config: { publicUrl: 'https://bank.example', consentReminderDays: 7, certRenewalNoticeDays: 30, mtlsPublicUrl: 'https://mtls.bank.example' },
    bankCa: () => loadBankCa(db, { keyEncryptionKey: Buffer.alloc(32, 7) }), pollingIntervalSeconds: 0.5,
  });
  t.teardown(() => runner.stop(5000));
  const statusOf = async (applyNo: string) => (await db.selectFrom('transfer_applications').select('status').where('apply_no', '=', applyNo).executeTakeFirstOrThrow()).status;

  await runner.runNow('transfer-executions');
  await eventually('the scheduled transfer ran', async () => (await statusOf(scheduled.body.applyNo)) === 'executed');
  t.same(await balances(db, w.debit.id), { balance: 93_000, withdrawable: 93_000 });
  await runner.runNow('transfer-expiry');
  await eventually('the stale application expired', async () => (await statusOf(stale.body.applyNo)) === 'expired');
  await eventually('both sweeps logged', async () => sink.lines().some((l) => l.includes('"sweep":"transfer-expiry"')));
  t.ok(sink.lines().some((l) => l.includes('"sweep":"transfer-executions"') && l.includes('"executed":1')), 'the execution sweep logged its count');
  t.ok(sink.lines().some((l) => l.includes('"sweep":"transfer-expiry"') && l.includes('"expired":1')), 'the expiry sweep logged its count');
  t.ok(delivered >= 2, 'each sweep that wrote a mail handed the outbox over');
  const schedules = await sql<{ name: string; cron: string }>`select name, cron from pgboss.schedule where name like 'transfer-%' order by name`.execute(db);
  t.same(schedules.rows, [{ name: 'transfer-executions', cron: '*/5 * * * *' }, { name: 'transfer-expiry', cron: '*/5 * * * *' }]);
});
