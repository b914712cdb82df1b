import t from 'tap';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { jstDay, requestFor, SERVICE_NAME } from './approvals-fixture.ts';
import { IbClient, visibleText } from './ib-client.ts';

// 申請・承認一覧 (DESIGN §17): who sees which applications, and what each line says.
t.setTimeout(180_000);

const { app, database } = await buildTestApp(t, { env: { DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });

async function client(loginId: string, password: string) {
  const c = new IbClient(app);
  const res = await c.login(loginId, password);
  if (res.statusCode !== 303) throw new Error(`login of ${loginId} failed: ${res.statusCode}`);
  return c;
}
const master = await client('1000000001', 'Aozora2024');
const user1 = await client('1000000002', 'User1pass2024');
const user2 = await client('1000000003', 'User2pass2024');
const hanako = await client('2000000001', 'Hanako2024');

// Applications of every status: by the master on 1000088 (which user 2 may transfer from) and on 1000658
// (which user 2 may not see), by user 2 on 1000088, and by 青空 花子 to another bank.
const byMaster = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '12345' });
const onOther = await requestFor(db, { loginId: '1000000001', accountNumber: '1000658', amount: '777' });
const byUser2 = await requestFor(db, { loginId: '1000000003', accountNumber: '1000088', amount: '2000', items: 3 });
const byHanako = await requestFor(db, {
  loginId: '2000000001', accountNumber: '2000123', amount: '30000', designatedDate: jstDay(3),
  beneficiary: { beneficiaryBankCode: '0005', beneficiaryBranchCode: '251', accountTypeCode: '2', accountNumber: '7654321', beneficiaryName: 'ﾔﾏﾀﾞ ﾀﾛｳ' },
});
const others = {
  returned: await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '301' }),
  withdrawn: await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '302' }),
  expired: await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '303' }),
  scheduled: await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '304', designatedDate: jstDay(1) }),
  executed: await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '305' }),
  failed: await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '306' }),
};
// The statuses the decisions and sweeps leave (they have tests of their own): set here so each tab has a line.
for (const [status, a] of Object.entries(others)) {
  await db.updateTable('transfer_applications').set({ status: status as 'returned', executed_at: status === 'executed' ? new Date() : null }).where('id', '=', a.id).execute();
}

const rowsOf = (html: string) => [...html.matchAll(/<tr data-apply-no="(\d{16})" data-status="(\w+)">/g)].map((m) => ({ applyNo: m[1]!, status: m[2]! }));
const applyNos = (html: string) => rowsOf(html).map((r) => r.applyNo).sort();

t.test('the menu and the home screen name 申請・承認一覧 for every user', async (t) => {
  for (const c of [master, user1, user2, hanako]) {
    const home = await c.get('/ib/');
    t.match(home.body, /<a href="\/ib\/approvals">申請・承認一覧<\/a>/);
  }
  const en = await master.get('/ib/?lang=en');
  t.match(en.body, /<a href="\/ib\/approvals">Applications and approvals<\/a>/);
  await master.get('/ib/?lang=ja');
});

t.test('the master sees every application of the customer, with requester, amount, beneficiary, partner and date', async (t) => {
  const page = await master.get('/ib/approvals');
  t.equal(page.statusCode, 200);
  t.match(page.body, /<h1>申請・承認一覧<\/h1>/);
  const expected = [byMaster, onOther, byUser2, ...Object.values(others)].map((a) => a.applyNo).sort();
  t.same(applyNos(page.body), expected, 'every application of 青空商事, none of 青空 花子');
  t.match(visibleText(page.body), '取引責任者として、すべての口座の申請を表示しています。');
  const text = visibleText(page.body);
  for (const label of ['申請番号', '申請日時', '状態', '申請者', '支払口座', '振込先', '振込金額', '連携先サービス名', '提供会社名', '振込指定日']) t.match(text, label);
  const line = visibleText(/<tr data-apply-no="\d+" data-status="pending">[\s\S]*?<\/tr>/.exec(page.body.slice(page.body.indexOf(byMaster.applyNo) - 60))![0]);
  t.match(line, byMaster.applyNo);
  t.match(line, '申請中');
  t.match(line, '青空 太郎（1000000001）', 'the requester');
  t.match(line, '法人営業部 普通 1000088', 'the debit account');
  t.match(line, 'れんけい銀行 支店コード 100 普通 2000123 ｱｵｿﾞﾗ ﾊﾅｺ', 'the beneficiary: bank, branch, type, number, name');
  t.match(line, '12,345円');
  t.match(line, `${SERVICE_NAME} 株式会社 入出金情報提供`, 'the partner: client name and 提供会社名');
  t.match(line, jstDay().replaceAll('-', '/'), 'the designated date');
  t.match(line, '承認期限', 'a pending application shows until when it can be approved');
  const multi = visibleText(/<tr data-apply-no="\d+"[\s\S]*?<\/tr>/.exec(page.body.slice(page.body.indexOf(byUser2.applyNo) - 60))![0]);
  t.match(multi, '鈴木 健一（1000000003）');
  t.match(multi, '6,000円', 'the total of three items');
  t.match(multi, 'ほか2件');
});

t.test('each status has its tab, named as GMO names it', async (t) => {
  const names = { pending: '申請中', returned: '差戻', withdrawn: '取下げ', expired: '期限切れ', scheduled: '予約中', executed: '手続済', failed: '手続不成立' };
  for (const [status, name] of Object.entries(names)) {
    const page = await master.get(`/ib/approvals?status=${status}`);
    t.equal(page.statusCode, 200);
    t.match(page.body, new RegExp(`<a href="/ib/approvals\\?status=${status}" aria-current="page">${name}</a>`), `tab ${name}`);
    const rows = rowsOf(page.body);
    t.ok(rows.length > 0 && rows.every((r) => r.status === status), `only ${name} lines`);
    if (status !== 'pending') t.same(rows.map((r) => r.applyNo), [others[status as keyof typeof others].applyNo]);
    t.match(visibleText(page.body), name);
  }
  t.equal((await master.get('/ib/approvals?status=nonsense')).statusCode, 400, 'an unknown status is refused, not a 500');
  t.equal((await master.get('/ib/approvals?page=0')).statusCode, 400);
});

t.test('user 2 (承認 あり, 振込・振替 on 1000088 only) sees the applications on 1000088, not those on 1000658', async (t) => {
  const page = await user2.get('/ib/approvals');
  const seen = applyNos(page.body);
  t.ok(seen.includes(byMaster.applyNo), 'the master\'s application on 1000088');
  t.ok(seen.includes(byUser2.applyNo), 'their own');
  t.notOk(seen.includes(onOther.applyNo), 'not the one on 1000658');
  t.match(visibleText(page.body), '承認権限のあるユーザーとして');
});

t.test('user 1 (no 振込 right) sees only their own applications: none', async (t) => {
  const page = await user1.get('/ib/approvals');
  t.equal(page.statusCode, 200);
  t.same(applyNos(page.body), []);
  t.match(visibleText(page.body), '該当する申請はありません。');
  t.match(visibleText(page.body), 'ご自身の申請を表示しています。');
  t.equal((await user1.get(`/ib/approvals/${byMaster.id}`)).statusCode, 404, 'another\'s application is not found, not shown');
});

t.test('青空 花子 sees her own application to another bank, by its codes', async (t) => {
  const page = await hanako.get('/ib/approvals');
  t.same(applyNos(page.body), [byHanako.applyNo]);
  t.match(visibleText(page.body), 'ご自身の申請を表示しています。');
  const text = visibleText(page.body);
  t.match(text, '金融機関コード 0005 支店コード 251 当座 7654321 ﾔﾏﾀﾞ ﾀﾛｳ');
  t.match(text, '30,000円');
  t.match(text, jstDay(3).replaceAll('-', '/'));
  t.equal((await master.get(`/ib/approvals/${byHanako.id}`)).statusCode, 404, 'another customer\'s application is not found');
});

t.test('the detail screen shows the application and its items; English reads English', async (t) => {
  const page = await master.get(`/ib/approvals/${byUser2.id}`);
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, '申請内容確認');
  for (const s of ['振込明細', '明細番号', '受取人名', 'EDI情報', '振込手数料', '取引パスワード', byUser2.applyNo, '鈴木 健一（1000000003）', '6,000円']) t.match(text, s);
  t.equal([...page.body.matchAll(/<tr><td>\d<\/td>/g)].length, 3, 'three items');
  t.match(page.body, /<button type="submit" name="decision" value="approve">承認<\/button>/);
  t.match(page.body, /<button type="submit" class="secondary" name="decision" value="return">差戻<\/button>/);
  t.notMatch(page.body, /value="withdraw"/, '取下げ only for one\'s own application');

  const en = visibleText((await master.get(`/ib/approvals/${byUser2.id}?lang=en`)).body);
  for (const s of ['Application', 'Transaction password', 'Approve', 'Return', 'Awaiting approval', 'Transfers']) t.match(en, s);
  await master.get('/ib/approvals?lang=ja');

  const decided = visibleText((await master.get(`/ib/approvals/${others.executed.id}`)).body);
  t.match(decided, 'この申請は処理済みのため');
  t.notMatch(decided, '取引パスワード', 'no form on a decided application');
  t.equal((await master.get('/ib/approvals/not-a-uuid')).statusCode, 400);
  t.equal((await master.get('/ib/approvals/00000000-0000-4000-8000-000000000000')).statusCode, 404);
});

t.test('without a session the list sends the browser to the login', async (t) => {
  const anon = new IbClient(app);
  const res = await anon.get('/ib/approvals');
  t.equal(res.statusCode, 303);
  t.match(String(res.headers.location), '/ib/login');
});
