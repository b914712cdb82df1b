import t from 'tap';
import { DEMO_TRANSFER_BENEFICIARY } from '../../../src/db/seed/demo-data.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { startDemoServer } from './demo-server.ts';

// The partner demo's 「振込を依頼する」 (issue: the demo partner app requests a transfer and shows its
// status): the demo asks for 利用業務 振込, sends 振込依頼 with an Idempotency-Key per form over its own
// DPoP-bound token, and shows 振込状況照会's answer; refusals show the bank's reasons.
t.setTimeout(300_000);

const server = await startDemoServer(t);
const { db } = server.database;

/** The value of a text or hidden input of the page. */
const field = (b: JourneyDriver, name: string) => new RegExp(`name="${name}"[^>]*? value="([^"]*)"`).exec(b.html)?.[1];
/** The options of a select of the page. */
const options = (b: JourneyDriver, id: string) =>
  [...(new RegExp(`<select id="${id}"[\\s\\S]*?</select>`).exec(b.html)?.[0] ?? '').matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);

/** From the demo's landing page through the bank's journey as user 2 (振込・振替 on 1000088). */
async function link(b: JourneyDriver, scope: string[]) {
  await b.go('GET', '/demo');
  await b.go('POST', '/demo/start', { _csrf: b.csrf });
  await b.post('login', { login_id: '1000000003', password: 'User2pass2024' });
  if (b.title !== 'API連携認証（認可業務選択）') throw new Error(`expected the business page, got ${b.title}`);
  await b.post('business', { scope });
  if (String(b.title) === 'API連携認証（照会用暗証番号登録）') {
    await b.post('pin', { account_id: b.values('account_id')[0]!, pin: '7392' });
    await b.post('pin/confirm', {});
  }
  if (String(b.title) !== 'API連携認証（情報アクセス許可）') throw new Error(`expected the permission page, got ${b.title}`);
  return b.post('consent', { decision: 'allow', continue: 'on' });
}

t.test('the demo client asks for 振込 too, and the bank offers it', async (t) => {
  const row = await db.selectFrom('oauth_clients').select(['allowed_scopes']).where('client_id', '=', 'kantan-kakeibo-demo').executeTakeFirstOrThrow();
  t.ok(row.allowed_scopes.includes('transfers'));
  const b = new JourneyDriver(server);
  await b.go('GET', '/demo');
  await b.go('POST', '/demo/start', { _csrf: b.csrf });
  await b.post('login', { login_id: '1000000003', password: 'User2pass2024' });
  t.same(b.values('scope'), ['balances', 'transactions', 'transfers']);
});

t.test('振込を依頼する → 振込の状況 (申請中), a resubmitted form asks once, a refusal shows the reasons', async (t) => {
  const b = new JourneyDriver(server);
  await link(b, ['balances', 'transactions', 'transfers']);
  t.equal(b.title, '連携中の口座');
  t.match(b.html, 'href="/demo/transfer"', 'the accounts page links 振込を依頼する');

  await b.go('GET', '/demo/transfer');
  t.equal(b.status, 200);
  t.equal(b.title, '振込を依頼する');
  t.notMatch(b.html, /<script|style=/, 'no script, no inline style');
  t.match(b.html, '「申請・承認一覧」で承認するまで実行されません');
  t.same(options(b, 'accountId'), ['101011000088'], 'the account user 2 may transfer from');
  t.equal(field(b, 'accountNumber'), DEMO_TRANSFER_BENEFICIARY.accountNumber, 'the demo beneficiary prefilled');
  t.equal(field(b, 'beneficiaryName'), DEMO_TRANSFER_BENEFICIARY.beneficiaryName);
  const form = {
    _csrf: b.csrf, idempotencyKey: field(b, 'idempotencyKey')!, accountId: '101011000088',
    beneficiaryBankCode: '0310', beneficiaryBranchCode: '100', accountTypeCode: '1', accountNumber: '2000123', beneficiaryName: 'ｱｵｿﾞﾗ ﾊﾅｺ',
    transferAmount: '12345', transferDesignatedDate: field(b, 'transferDesignatedDate')!, applyComment: 'デモの振込',
  };
  await b.go('POST', '/demo/transfer', form);
  t.equal(b.status, 200);
  t.equal(new URL(b.url).pathname, '/demo/transfer/status');
  t.equal(b.title, '振込の状況');
  t.match(b.html, '<strong id="transfer-status">申請中</strong>');
  t.match(b.html, '12,345円');
  t.match(b.html, '未完了（承認待ち）');
  const applyNo = new URL(b.url).searchParams.get('applyNo')!;
  t.match(applyNo, /^\d{16}$/);
  const app = await db.selectFrom('transfer_applications').select(['status', 'total_amount', 'apply_comment', 'client_id']).where('apply_no', '=', applyNo).executeTakeFirstOrThrow();
  t.same(app, { status: 'pending', total_amount: '12345', apply_comment: 'デモの振込', client_id: 'kantan-kakeibo-demo' });

  // The same form again (a double click, a reload after a lost answer): the same application.
  await b.go('GET', '/demo/transfer');
  await b.go('POST', '/demo/transfer', { ...form, _csrf: b.csrf });
  t.equal(new URL(b.url).searchParams.get('applyNo'), applyNo, 'the Idempotency-Key made it one request');
  const count = await db.selectFrom('transfer_applications').select((eb) => eb.fn.countAll<string>().as('n')).where('client_id', '=', 'kantan-kakeibo-demo').executeTakeFirstOrThrow();
  t.equal(Number(count.n), 1);
  await b.go('GET', '/demo/transfer');
  t.match(b.html, `applyNo=${applyNo}`, 'the session lists what it asked for');

  // Refused by the bank: the form again with the reasons, per item.
  await b.go('POST', '/demo/transfer', { ...form, _csrf: b.csrf, idempotencyKey: field(b, 'idempotencyKey')!, beneficiaryName: '青空花子', accountNumber: '12' });
  t.equal(b.status, 400);
  t.equal(b.title, '振込を依頼する');
  t.match(b.html, 'id="transfer-error"');
  t.match(b.html, /明細1: [^<]*受取人名|明細1: [^<]*beneficiaryName/);
  t.match(b.html, 'invalid_parameter');
  // Not a form of this session; a malformed form.
  await b.go('POST', '/demo/transfer', { ...form, _csrf: 'forged' });
  t.equal(b.status, 401, 'a forged CSRF token');
  await b.go('GET', '/demo/transfer');
  await b.go('POST', '/demo/transfer', { ...form, _csrf: b.csrf, transferAmount: '12,000' });
  t.equal(b.status, 400, 'a malformed amount: the form again');
  t.match(b.html, '入力内容を確認してください');
  await b.go('GET', '/demo/transfer/status?accountId=101011000088&applyNo=12');
  t.equal(b.status, 400);
  await b.go('GET', '/demo/transfer/status?accountId=101011000088&applyNo=0000000000000000');
  t.equal(b.status, 502, 'an unknown applyNo: the bank’s not_found shown');
  t.match(b.html, 'not_found');

  // Withdrawn at the bank: the status page says so.
  await db.updateTable('transfer_applications').set({ status: 'withdrawn' }).where('apply_no', '=', applyNo).execute();
  await b.go('GET', `/demo/transfer/status?accountId=101011000088&applyNo=${applyNo}`);
  t.match(b.html, '<strong id="transfer-status">取下げ</strong>');
});

t.test('with 振込 alone (no account list), the visitor types the 口座ID', async (t) => {
  const b = new JourneyDriver(server);
  await link(b, ['transfers']);
  t.equal(b.status, 200, 'the accounts page, without accounts to read');
  t.match(b.html, '残高照会・入出金明細照会は許可されていないため');
  t.match(b.html, 'href="/demo/transfer"');
  await b.go('GET', '/demo/transfer');
  t.equal(b.status, 200);
  t.match(b.html, '<input id="accountId" name="accountId"');
  const form = {
    _csrf: b.csrf, idempotencyKey: field(b, 'idempotencyKey')!, accountId: '101011000088', beneficiaryBankCode: '0310', beneficiaryBranchCode: '100',
    accountTypeCode: '1', accountNumber: '2000123', beneficiaryName: 'ｱｵｿﾞﾗ ﾊﾅｺ', transferAmount: '800', transferDesignatedDate: field(b, 'transferDesignatedDate')!,
  };
  await b.go('POST', '/demo/transfer', form);
  t.equal(b.title, '振込の状況');
  t.match(b.html, '<strong id="transfer-status">申請中</strong>');
});

t.test('without 振込 allowed, the page says so', async (t) => {
  const b = new JourneyDriver(server);
  await link(b, ['balances', 'transactions']);
  t.notMatch(b.html, 'href="/demo/transfer"');
  await b.go('GET', '/demo/transfer');
  t.equal(b.status, 403);
  t.match(b.html, '振込は許可されていません');
  const fresh = new JourneyDriver(server);
  await fresh.go('GET', '/demo/transfer');
  t.equal(fresh.status, 401, 'not linked');
});
