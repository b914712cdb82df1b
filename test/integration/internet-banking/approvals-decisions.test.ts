import t from 'tap';
import { MAX_TRANSACTION_PASSWORD_FAILURES } from '../../../src/business-id/confirmations.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { accountOf, jstDay, requestFor, statusOf, userOf, versionIn } from './approvals-fixture.ts';
import { IbClient, visibleText } from './ib-client.ts';

// 承認 / 差戻 / 取下げ in 申請・承認一覧 (DESIGN §17), each confirmed with the 取引パスワード, through the screens;
// the requester's mails go out over real SMTP.
t.setTimeout(240_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { DEV_MAILBOX: 'false', SMTP_URL: smtp.url } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });

async function client(loginId: string, password: string) {
  const c = new IbClient(app);
  const res = await c.login(loginId, password);
  if (res.statusCode !== 303) throw new Error(`login of ${loginId} failed: ${res.statusCode}`);
  return c;
}
const master = await client('1000000001', 'Aozora2024');
const user2 = await client('1000000003', 'User2pass2024');
const MASTER_TX = 'Torihiki2024';
const USER2_TX = 'User2tx2024';
const masterUser = await userOf(db, '1000000001');
const user2User = await userOf(db, '1000000003');

/** Opens 申請内容確認 and posts the decision with the version it showed (or the one given). */
async function decide(c: IbClient, id: string, decision: string, transactionPassword: string, extra: Record<string, string> = {}) {
  const page = await c.get(`/ib/approvals/${id}`);
  return c.post(`/ib/approvals/${id}`, { version: versionIn(page.body), decision, transactionPassword, ...extra });
}

const mailsTo = (address: string, subject: string) => smtp.mails.filter((m) => m.to.includes(address) && m.subject === subject);
// Balances are numeric(…, 2): whole yen here.
const balanceOf = async (n: string) => BigInt((await accountOf(db, n)).balance.split('.')[0]!);

t.test('user 2 approves the master\'s transfer to 青空 花子: executed at once, debit and credit, the requester told', async (t) => {
  const a = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '5000' });
  const [from, to] = [await balanceOf('1000088'), await balanceOf('2000123')];
  const page = await user2.get(`/ib/approvals/${a.id}`);
  t.match(page.body, /value="approve">承認</, '承認 is offered');
  const res = await user2.post(`/ib/approvals/${a.id}`, { version: versionIn(page.body), decision: 'approve', transactionPassword: USER2_TX, comment: '確認済み' });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `/ib/approvals/${a.id}/result`);
  const done = await user2.get(`/ib/approvals/${a.id}/result`);
  t.equal(done.statusCode, 200);
  const text = visibleText(done.body);
  t.match(text, '承認完了');
  t.match(text, '申請を承認し、振込を実行しました。');
  t.match(text, '手続済');
  t.match(text, '鈴木 健一', 'who decided');
  t.match(text, '確認済み', 'the comment');
  t.match(text, '振込実行日時');
  t.equal((await statusOf(db, a.id)).status, 'executed');
  t.equal(await balanceOf('1000088'), from - 5000n, 'the debit (no fee within the bank)');
  t.equal(await balanceOf('2000123'), to + 5000n, 'the beneficiary\'s credit');
  t.equal(mailsTo(masterUser.email, '【れんけい銀行】振込が完了しました').length, 1, 'the requester is told by mail, over SMTP');
  const audit = await db.selectFrom('audit_events').select('type').where('type', 'in', ['transfer.approved', 'transfer.executed']).execute();
  t.same(audit.map((e) => e.type).sort(), ['transfer.approved', 'transfer.executed']);

  const again = await user2.post(`/ib/approvals/${a.id}`, { version: '1', decision: 'approve', transactionPassword: USER2_TX });
  t.equal(again.statusCode, 409, 'a second approval (a replayed form) is refused');
  t.match(visibleText(again.body), 'この振込申請は既に処理されています。');
  t.equal(await balanceOf('1000088'), from - 5000n, 'and debits nothing more');
});

t.test('a later designated date: approved, 予約中, the requester told', async (t) => {
  const a = await requestFor(db, { loginId: '1000000003', accountNumber: '1000088', amount: '2000', designatedDate: jstDay(2) });
  const from = await balanceOf('1000088');
  const res = await decide(master, a.id, 'approve', MASTER_TX);
  t.equal(res.statusCode, 303);
  const text = visibleText((await master.get(`/ib/approvals/${a.id}/result`)).body);
  t.match(text, '承認完了');
  t.match(text, '振込指定日に振込を実行します（予約中）');
  t.equal((await statusOf(db, a.id)).status, 'scheduled');
  t.equal(await balanceOf('1000088'), from, 'nothing debited before the date');
  t.equal(mailsTo(user2User.email, '【れんけい銀行】振込申請が承認されました').length, 1, 'user 2 (the requester) is told');
});

t.test('approved without the funds: 手続不成立, nothing moves, the requester told', async (t) => {
  const a = await requestFor(db, { loginId: '1000000001', accountNumber: '1000658', amount: '4000000' });
  const account = await accountOf(db, '1000658');
  // Set here what a day of other payments would leave: less withdrawable than the transfer.
  await db.updateTable('accounts').set({ withdrawable_amount: '3999999' }).where('id', '=', account.id).execute();
  const res = await decide(master, a.id, 'approve', MASTER_TX);
  t.equal(res.statusCode, 303);
  const text = visibleText((await master.get(`/ib/approvals/${a.id}/result`)).body);
  t.match(text, '承認完了');
  t.match(text, '支払可能残高が不足しているため振込は成立しませんでした。');
  t.match(text, '手続不成立');
  t.equal((await statusOf(db, a.id)).status, 'failed');
  const after = await accountOf(db, '1000658');
  t.equal(after.withdrawable_amount.split('.')[0], '3999999', 'nothing debited');
  t.equal(after.balance, account.balance);
  t.equal(mailsTo(masterUser.email, '【れんけい銀行】振込が不成立となりました').length, 1);
  await db.updateTable('accounts').set({ withdrawable_amount: account.withdrawable_amount }).where('id', '=', account.id).execute();
});

t.test('差戻: returned with a comment, the requester told', async (t) => {
  const a = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '4000' });
  const res = await decide(user2, a.id, 'return', USER2_TX, { comment: '金額を確認してください' });
  t.equal(res.statusCode, 303);
  const text = visibleText((await user2.get(`/ib/approvals/${a.id}/result`)).body);
  t.match(text, '差戻完了');
  t.match(text, '申請を差戻しました。');
  t.match(text, '金額を確認してください');
  t.equal((await statusOf(db, a.id)).status, 'returned');
  const mails = mailsTo(masterUser.email, '【れんけい銀行】振込申請が差戻されました');
  t.equal(mails.length, 1);
  t.match(mails[0]!.text, '鈴木 健一', 'the mail names who returned it');
});

t.test('取下げ: the requester withdraws their own application; nobody else can', async (t) => {
  const a = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '4100' });
  const other = await user2.get(`/ib/approvals/${a.id}`);
  t.notMatch(other.body, /value="withdraw"/, 'no 取下げ button on another\'s application');
  const forced = await user2.post(`/ib/approvals/${a.id}`, { version: versionIn(other.body), decision: 'withdraw', transactionPassword: USER2_TX });
  t.equal(forced.statusCode, 403);
  t.match(visibleText(forced.body), '取下げできるのはご自身の申請だけです。');
  t.equal((await statusOf(db, a.id)).status, 'pending');

  const own = await master.get(`/ib/approvals/${a.id}`);
  t.match(own.body, /value="withdraw">取下げ</);
  t.notMatch(own.body, /value="return"/, 'one\'s own application is withdrawn, not returned');
  const res = await master.post(`/ib/approvals/${a.id}`, { version: versionIn(own.body), decision: 'withdraw', transactionPassword: MASTER_TX });
  t.equal(res.statusCode, 303);
  const text = visibleText((await master.get(`/ib/approvals/${a.id}/result`)).body);
  t.match(text, '取下げ完了');
  t.match(text, '申請を取下げました。');
  t.equal((await statusOf(db, a.id)).status, 'withdrawn');
});

t.test('a wrong 取引パスワード is refused and counted; nothing changes', async (t) => {
  const a = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '4200' });
  const res = await decide(user2, a.id, 'approve', 'Wrong0000');
  t.equal(res.statusCode, 400);
  t.match(visibleText(res.body), '取引パスワードが正しくありません。');
  t.match(res.body, /<label for="transactionPassword">取引パスワード<\/label>/, 'the form is shown again');
  t.same(await statusOf(db, a.id), { status: 'pending', version: 1 });
  const u = await db.selectFrom('users').select('transaction_password_failed_count').where('id', '=', user2User.id).executeTakeFirstOrThrow();
  t.equal(u.transaction_password_failed_count, 1, 'the failure counts toward the lock');
  const empty = await decide(user2, a.id, 'approve', '');
  t.equal(empty.statusCode, 400, 'an empty 取引パスワード is a form error, not a 500');
  t.match(visibleText(empty.body), '取引パスワードの入力内容に誤りがあります。');
  const ok = await decide(user2, a.id, 'approve', USER2_TX);
  t.equal(ok.statusCode, 303, 'the right one then approves');
  const after = await db.selectFrom('users').select('transaction_password_failed_count').where('id', '=', user2User.id).executeTakeFirstOrThrow();
  t.equal(after.transaction_password_failed_count, 0, 'and resets the count');
});

t.test('a stale version: another user decided first, or the form is old', async (t) => {
  const a = await requestFor(db, { loginId: '1000000003', accountNumber: '1000088', amount: '4300' });
  const seenByUser2 = await user2.get(`/ib/approvals/${a.id}`);
  const bumped = await user2.post(`/ib/approvals/${a.id}`, { version: '7', decision: 'withdraw', transactionPassword: USER2_TX });
  t.equal(bumped.statusCode, 409, 'a version the application never had');
  t.match(visibleText(bumped.body), 'この振込申請は他の操作で更新されています。');
  t.equal(versionIn(bumped.body), '1', 'the screen shown again carries the current version');

  t.equal((await decide(master, a.id, 'return', MASTER_TX)).statusCode, 303, 'the master returns it meanwhile');
  const late = await user2.post(`/ib/approvals/${a.id}`, { version: versionIn(seenByUser2.body), decision: 'withdraw', transactionPassword: USER2_TX });
  t.equal(late.statusCode, 409);
  const text = visibleText(late.body);
  t.match(text, 'この振込申請は既に処理されています。');
  t.match(text, 'この申請は処理済みのため', 'the screen says it can no longer be decided');
  t.match(text, '差戻', 'and shows it returned');
  t.equal((await statusOf(db, a.id)).status, 'returned');
});

t.test('the form token is required: a forged or missing one is refused (CSRF)', async (t) => {
  const a = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '4400' });
  const page = await user2.get(`/ib/approvals/${a.id}`);
  const forged = await user2.post(`/ib/approvals/${a.id}`, { _csrf: 'forged', version: versionIn(page.body), decision: 'approve', transactionPassword: USER2_TX });
  t.equal(forged.statusCode, 403);
  t.match(visibleText(forged.body), '画面の有効期限が切れました。');
  const stranger = new IbClient(app);
  const other = await stranger.login('1000000001', 'Aozora2024');
  t.equal(other.statusCode, 303);
  await stranger.get('/ib/');
  const crossSession = await user2.post(`/ib/approvals/${a.id}`, { _csrf: stranger.csrf(), version: versionIn(page.body), decision: 'approve', transactionPassword: USER2_TX });
  t.equal(crossSession.statusCode, 403, 'another session\'s token is refused');
  t.same(await statusOf(db, a.id), { status: 'pending', version: 1 });
});

t.test('malformed decisions are form errors, never a 500', async (t) => {
  const a = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '4500' });
  const page = await user2.get(`/ib/approvals/${a.id}`);
  const version = versionIn(page.body);
  const bodies: Record<string, string>[] = [
    { version, decision: 'delete', transactionPassword: USER2_TX },
    { version: 'abc', decision: 'approve', transactionPassword: USER2_TX },
    { version, decision: 'approve', transactionPassword: USER2_TX, comment: 'あ'.repeat(101) },
    { version, decision: 'approve', transactionPassword: 'x'.repeat(129) },
  ];
  for (const body of bodies) {
    await user2.get(`/ib/approvals/${a.id}`);
    const res = await user2.post(`/ib/approvals/${a.id}`, body);
    t.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 60));
  }
  await user2.get(`/ib/approvals/${a.id}`);
  t.equal((await user2.post('/ib/approvals/00000000-0000-4000-8000-000000000000', { version, decision: 'approve', transactionPassword: USER2_TX })).statusCode, 404);
  t.same(await statusOf(db, a.id), { status: 'pending', version: 1 });
  t.equal((await user2.get(`/ib/approvals/${a.id}/result`)).statusCode, 303, 'no result for an undecided application: back to it');
});

t.test('the 取引パスワード locks after the configured failures, as every confirmation does', async (t) => {
  const hanako = await client('2000000001', 'Hanako2024');
  const a = await requestFor(db, { loginId: '2000000001', accountNumber: '2000123', amount: '1000', beneficiary: { beneficiaryBankCode: '0005', beneficiaryBranchCode: '251', accountNumber: '7654321', beneficiaryName: 'ﾔﾏﾀﾞ ﾀﾛｳ' } });
  let last = await decide(hanako, a.id, 'approve', 'Wrong0000');
  for (let i = 1; i < MAX_TRANSACTION_PASSWORD_FAILURES; i++) last = await decide(hanako, a.id, 'approve', 'Wrong0000');
  t.equal(last.statusCode, 403, `locked at the ${MAX_TRANSACTION_PASSWORD_FAILURES}th failure`);
  t.match(visibleText(last.body), '取引パスワードがロックされています。');
  const right = await decide(hanako, a.id, 'approve', 'Hanakotx2024');
  t.equal(right.statusCode, 403, 'the right password no longer helps');
  t.same(await statusOf(db, a.id), { status: 'pending', version: 1 });
});
