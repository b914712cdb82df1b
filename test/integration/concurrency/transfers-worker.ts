import { createInterface } from 'node:readline';
import { loadActor } from '../../../src/business-id/actor.ts';
import { createDb } from '../../../src/db/create-db.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { approveApplication } from '../../../src/transfers/approvals.service.ts';
import { executeApplication, executeDueTransfers } from '../../../src/transfers/execution.ts';
import { requestTransfer, type TransferContext, type TransferRequestBody } from '../../../src/transfers/transfers.service.ts';

/**
 * A separate process working on the transfers of one PostgreSQL database, as a second renkei instance would:
 * started with a task as JSON in argv[2], it opens its own pool, prints `ready`, waits for `go` on stdin (so
 * several workers start their work at the same moment), does the task and prints one line of JSON.
 * `hold` executes an application inside a transaction and never commits: the test kills the process there.
 */
export type WorkerTask =
  | { op: 'approve'; databaseUrl: string; userId: string; password: string; applications: Array<{ id: string; version: number }> }
  | { op: 'sweep'; databaseUrl: string; now: string }
  | { op: 'hold'; databaseUrl: string; applicationId: string; now: string }
  | { op: 'request'; databaseUrl: string; ctx: TransferContext; bodies: TransferRequestBody[] };

const task = JSON.parse(process.argv[2]!) as WorkerTask;
const handle = await createDb({ databaseUrl: task.databaseUrl, poolSize: 2 });
const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.on('line', (l) => { if (l.trim() === 'go') resolve(); }));
process.stdout.write('ready\n');
await go;

/**
 * Which check refused a 409: `:seen` when the application was already decided when read, `:lost` when both
 * read it pending and the other's conditional UPDATE won (the message of a version that moved).
 */
function raceTag(err: AppError): string {
  if (err.status !== 409) return '';
  return err.messages.en.startsWith('This application was changed') ? ':lost' : ':seen';
}

const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

if (task.op === 'approve') {
  const actor = (await loadActor(handle.db, task.userId))!;
  const results: string[] = [];
  for (const a of task.applications) {
    try {
      const r = await approveApplication(handle.db, actor, { applicationId: a.id, version: a.version, transactionPassword: task.password });
      results.push(r.status);
    } catch (err) {
      results.push(err instanceof AppError ? `${err.status}:${err.code}${raceTag(err)}` : `error:${String(err)}`);
    }
  }
  out(results);
} else if (task.op === 'request') {
  const results: string[] = [];
  for (const body of task.bodies) {
    try {
      results.push((await requestTransfer(handle.db, task.ctx, body, undefined, new Date())).body.resultCode);
    } catch (err) {
      results.push(err instanceof AppError ? `${err.status}:${err.code}` : `error:${String(err)}`);
    }
  }
  out(results);
} else if (task.op === 'sweep') {
  out(await executeDueTransfers(handle.db, new Date(task.now)));
} else {
  await handle.db.transaction().execute(async (trx) => {
    const outcome = await executeApplication(trx, task.applicationId, new Date(task.now));
    out({ outcome, committed: false });
    // Holds the transaction (and the account's row lock) open until the process is killed.
    await new Promise(() => {});
  });
}
lines.close();
await handle.close();
