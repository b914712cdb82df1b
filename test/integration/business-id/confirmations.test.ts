import t from 'tap';
import { sql } from 'kysely';
import { MAX_TRANSACTION_PASSWORD_FAILURES } from '../../../src/business-id/confirmations.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation } from './flow-helpers.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const smtp = await startSmtpSink(t);
const { app, database, logs } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER_MAIL = 'taro.aozora@aozora-shoji.example';

const master = new IbClient(app);
await master.login('1000000001', 'Aozora2024');
await master.get('/ib/business-id/groups/new');

/** A fresh group.create proposal for the master. */
async function propose(name: string) {
  await master.get('/ib/business-id/groups/new');
  return master.post('/ib/business-id/groups/new', { name, approval: 'no' });
}

t.test('opening the confirmation screen mails a 6-digit token once; 再発行 replaces it', async (t) => {
  const before = smtp.mails.length;
  const { page, path } = await openConfirmation(master, await propose('確認テスト1'));
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  for (const label of ['グループ新規登録 確認', '取引パスワード', 'メールトークン', '再発行', '登録', '確認テスト1']) t.match(text, label);
  t.equal(smtp.mails.length, before + 1);
  const first = lastToken(smtp.mails, MASTER_MAIL);
  t.match(first, /^[0-9]{6}$/);
  await master.get(path);
  t.equal(smtp.mails.length, before + 1, 'reloading does not mail again while the token lives');

  const re = await master.post(`${path}/reissue`, {});
  t.equal(re.statusCode, 303);
  t.equal(smtp.mails.length, before + 2);
  const second = lastToken(smtp.mails, MASTER_MAIL);
  await master.get(String(re.headers.location));
  t.match(visibleText(master.lastHtml), '再発行しました');
  if (first !== second) {
    const old = await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: first });
    t.equal(old.statusCode, 400, 'the replaced token no longer works');
  }
  const ok = await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: second });
  t.equal(ok.statusCode, 200);
  t.match(visibleText(ok.body), 'グループ新規登録 完了');
  t.ok(await db.selectFrom('groups').select('id').where('name', '=', '確認テスト1').executeTakeFirst());

  const replay = await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: second });
  t.equal(replay.statusCode, 410, 'a used change and token cannot be replayed');
  t.equal((await master.get(path)).statusCode, 410);
  t.notMatch(logs().join('\n'), new RegExp(`${first}|${second}|Torihiki2024`), 'codes and passwords never logged');
});

t.test('a wrong transaction password counts toward the lockout, and the 5th locks it', async (t) => {
  const { path } = await openConfirmation(master, await propose('確認テスト2'));
  const code = lastToken(smtp.mails, MASTER_MAIL);
  for (let i = 1; i < MAX_TRANSACTION_PASSWORD_FAILURES; i++) {
    const r = await master.post(path, { transactionPassword: `wrong${i}`, mailToken: code });
    t.equal(r.statusCode, 400);
    t.match(visibleText(r.body), '取引パスワードが正しくありません。');
  }
  const u = await db.selectFrom('users').select(['transaction_password_failed_count', 'transaction_password_locked_at']).where('login_id', '=', '1000000001').executeTakeFirstOrThrow();
  t.equal(u.transaction_password_failed_count, 4);
  const ok = await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: code });
  t.equal(ok.statusCode, 200, 'the right password before the 5th failure still works, and resets the count');
  t.equal((await db.selectFrom('users').select('transaction_password_failed_count').where('login_id', '=', '1000000001').executeTakeFirstOrThrow()).transaction_password_failed_count, 0);

  const second = await openConfirmation(master, await propose('確認テスト3'));
  const code2 = lastToken(smtp.mails, MASTER_MAIL);
  for (let i = 1; i <= MAX_TRANSACTION_PASSWORD_FAILURES; i++) await master.post(second.path, { transactionPassword: `bad${i}`, mailToken: code2 });
  const locked = await master.post(second.path, { transactionPassword: 'Torihiki2024', mailToken: code2 });
  t.equal(locked.statusCode, 403);
  t.match(visibleText(locked.body), '取引パスワードがロックされています');
  const types = (await db.selectFrom('audit_events').select('type').where('type', 'like', 'transaction_password.%').execute()).map((e) => e.type);
  t.equal(types.filter((x) => x === 'transaction_password.locked').length, 1);
  t.notOk(await db.selectFrom('groups').select('id').where('name', '=', '確認テスト3').executeTakeFirst(), 'nothing changed');
  await db.updateTable('users').set({ transaction_password_failed_count: 0, transaction_password_locked_at: null }).where('login_id', '=', '1000000001').execute();
});

t.test('a wrong, malformed, expired or over-tried mail token is refused', async (t) => {
  const { path } = await openConfirmation(master, await propose('確認テスト4'));
  const code = lastToken(smtp.mails, MASTER_MAIL);
  const wrong = code === '000000' ? '111111' : '000000';
  const r = await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: wrong });
  t.equal(r.statusCode, 400);
  t.match(visibleText(r.body), 'メールトークンが正しくないか');
  t.equal((await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: 'abc' })).statusCode, 400);
  t.equal((await master.post(path, { transactionPassword: 'Torihiki2024' })).statusCode, 400, 'missing');
  for (let i = 0; i < 3; i++) await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: wrong });
  t.equal((await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: code })).statusCode, 400, 'after 5 attempts even the right code fails');

  await master.post(`${path}/reissue`, {});
  const fresh = lastToken(smtp.mails, MASTER_MAIL);
  await db.updateTable('email_tokens').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('consumed_at', 'is', null).execute();
  t.equal((await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: fresh })).statusCode, 400, 'expired after 10 minutes');
  await master.post(`${path}/reissue`, {});
  t.equal((await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: lastToken(smtp.mails, MASTER_MAIL) })).statusCode, 200);
});

t.test('a token is bound to its change: it does not confirm another change', async (t) => {
  const a = await openConfirmation(master, await propose('確認テスト5'));
  const codeA = lastToken(smtp.mails, MASTER_MAIL);
  const b = await openConfirmation(master, await propose('確認テスト6'));
  const codeB = lastToken(smtp.mails, MASTER_MAIL);
  if (codeA !== codeB) t.equal((await master.post(b.path, { transactionPassword: 'Torihiki2024', mailToken: codeA })).statusCode, 400);
  t.equal((await master.post(a.path, { transactionPassword: 'Torihiki2024', mailToken: codeA })).statusCode, 200);
  t.equal((await master.post(b.path, { transactionPassword: 'Torihiki2024', mailToken: codeB })).statusCode, 200);
});

t.test('another user cannot open or confirm my change; bad ids are clear errors', async (t) => {
  const { path } = await openConfirmation(master, await propose('確認テスト7'));
  const other = new IbClient(app);
  await other.login('1000000004', 'User3pass2024');
  t.equal((await other.get(path)).statusCode, 410);
  await other.get('/ib/');
  t.equal((await other.post(path, { transactionPassword: 'User3tx2024', mailToken: '123456' })).statusCode, 410);
  t.equal((await master.get('/ib/confirm/not-a-uuid')).statusCode, 404);
  await db.updateTable('pending_changes').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('consumed_at', 'is', null).execute();
  t.equal((await master.get(path)).statusCode, 410, 'unconfirmed changes expire');
});

t.test('SMTP down: the confirmation screen says so instead of failing silently', async (t) => {
  const proposal = await propose('確認テスト8');
  smtp.failNext(1);
  const res = await master.get(String(proposal.headers.location));
  t.equal(res.statusCode, 503);
  t.match(visibleText(res.body), 'メールを送信できませんでした');
});

t.test('SMTP down after the change: it is made, and the completion screen says which mail failed', async (t) => {
  const group = await db.selectFrom('groups').select('id').where('name', '=', '振込').executeTakeFirstOrThrow();
  await master.get('/ib/business-id/users/new');
  const proposal = await master.post('/ib/business-id/users/new', { name: ['メール失敗'], email: ['fail@example.test'], groupId: [group.id], action: 'confirm' });
  const { path } = await openConfirmation(master, proposal);
  const code = lastToken(smtp.mails, MASTER_MAIL);
  smtp.failNext(1);
  const done = await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: code });
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), '1件のメールを送信できませんでした');
  t.ok(await db.selectFrom('users').select('id').where('email', '=', 'fail@example.test').executeTakeFirst());
});
