import t from 'tap';
import { loadActor } from '../../../src/business-id/actor.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { approveApplication } from '../../../src/transfers/approvals.service.ts';
import { requestTransfer, type TransferRequestBody } from '../../../src/transfers/transfers.service.ts';
import { createTestDatabase, testDatabaseUrl } from '../../helpers/database.ts';
import { addDebitAccount, balances, ctxFor, makeWorld, today, TX_PASSWORD, type World } from '../transfers/transfer-fixture.ts';
import { runWorkers } from './transfer-workers.ts';

/**
 * Transfers in opposite directions between two accounts of this bank, approved (and so executed) by two
 * processes while a third requests more between the same accounts: every execution locks both accounts and
 * every request references both, so a wrong lock order would deadlock. None may fail for anything but a
 * business reason, and the books must balance. PostgreSQL: three processes; PGlite: three concurrent callers.
 */
const EACH = 12;
const AMOUNT = 1000;
const START = 1_000_000;
const mode = testDatabaseUrl ? 'three processes (PostgreSQL)' : 'three concurrent callers in one process (PGlite)';

function transfer(from: { publicId: string }, to: { publicId: string }): TransferRequestBody {
  return {
    accountId: from.publicId, transferDesignatedDate: today(),
    transfers: [{ itemId: '1', transferAmount: String(AMOUNT), beneficiaryBankCode: '0310', beneficiaryBranchCode: to.publicId.slice(0, 3), accountTypeCode: '1', accountNumber: to.publicId.slice(5), beneficiaryName: 'ﾃｽﾄｼﾖｳｼﾞ' }],
  };
}

t.test(`opposite transfers executed while more are requested, ${mode}: no deadlock, books balance`, async (t) => {
  t.setTimeout(300_000);
  const database = await createTestDatabase(t);
  const { db } = database;
  const w: World = await makeWorld(db, { balance: 0, approvalLimit: 1_000_000, selfApprovalLimit: 0 });
  const x = await addDebitAccount(w, START);
  const y = await addDebitAccount(w, START);
  const ctx = ctxFor(w, w.requester, { grantAccountIds: [x.id, y.id] });
  const lists: Array<Array<{ id: string; version: number }>> = [[], []];
  for (let i = 0; i < EACH; i++) {
    for (const [side, body] of [[0, transfer(x, y)], [1, transfer(y, x)]] as const) {
      const r = await requestTransfer(db, ctx, body, undefined, new Date());
      lists[side]!.push(await db.selectFrom('transfer_applications').select(['id', 'version']).where('apply_no', '=', r.body.applyNo).executeTakeFirstOrThrow());
    }
  }
  const more = Array.from({ length: EACH }, (_, i) => (i % 2 === 0 ? transfer(x, y) : transfer(y, x)));
  let approvals: string[][];
  let requests: string[];
  if (database.url) {
    const databaseUrl = database.url;
    const workers = await runWorkers(t, [
      { op: 'approve', databaseUrl, userId: w.approver.id, password: TX_PASSWORD, applications: lists[0]! },
      { op: 'approve', databaseUrl, userId: w.master.id, password: TX_PASSWORD, applications: lists[1]! },
      { op: 'request', databaseUrl, ctx, bodies: more },
    ]);
    const results = (await Promise.all(workers.map((wk) => wk.result))) as string[][];
    approvals = results.slice(0, 2);
    requests = results[2]!;
  } else {
    const approve = async (userId: string, apps: Array<{ id: string; version: number }>) => {
      const actor = (await loadActor(db, userId))!;
      const out: string[] = [];
      for (const a of apps) {
        try {
          out.push((await approveApplication(db, actor, { applicationId: a.id, version: a.version, transactionPassword: TX_PASSWORD })).status);
        } catch (err) {
          out.push(err instanceof AppError ? `${err.status}:${err.code}` : `error:${String(err)}`);
        }
      }
      return out;
    };
    const request = async () => {
      const out: string[] = [];
      for (const body of more) out.push((await requestTransfer(db, ctx, body, undefined, new Date())).body.resultCode);
      return out;
    };
    const [a, b, r] = await Promise.all([approve(w.approver.id, lists[0]!), approve(w.master.id, lists[1]!), request()]);
    approvals = [a, b];
    requests = r;
  }
  const executed = approvals.flat().filter((r) => r === 'executed').length;
  t.comment(`approvals: ${approvals.flat().length}, executed: ${executed}; requests meanwhile: ${requests.length}, accepted: ${requests.filter((r) => r === '2').length}; other outcomes: ${JSON.stringify([...approvals.flat(), ...requests].filter((r) => r !== 'executed' && r !== '2'))}`);
  t.equal(executed, 2 * EACH, 'every approval executed (no deadlock, no error)');
  t.same(requests, Array(EACH).fill('2'), 'every request meanwhile accepted');
  t.same(await balances(db, x.id), { balance: START, withdrawable: START }, 'x: as much out as in');
  t.same(await balances(db, y.id), { balance: START, withdrawable: START }, 'y: as much out as in');
  const lines = await db.selectFrom('transactions').select('id').where('account_id', 'in', [x.id, y.id]).where('remarks', 'like', 'ﾌﾘｺﾐ%').execute();
  t.equal(lines.length, 4 * EACH, 'a debit and a credit line per transfer');
});
