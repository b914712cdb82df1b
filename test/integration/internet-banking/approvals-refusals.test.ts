import t from 'tap';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { accountOf, requestFor, statusOf, versionIn } from './approvals-fixture.ts';
import { IbClient, visibleText } from './ib-client.ts';

// Every refusal of the approval matrix (DESIGN §17, seed 003 §3-1) is visible where the user meets it —
// the list, the 申請内容確認 screen (in Japanese and English) — and a forced 承認 is refused with it.
// The 振込 group of user 2 (承認 あり 10,000,000 / 1,000,000, 振込・振替 on 1000088) is changed between the
// cases; a group change takes effect on the next request.
t.setTimeout(180_000);

const { app, database } = await buildTestApp(t, { env: { DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });

const user2 = new IbClient(app);
if ((await user2.login('1000000003', 'User2pass2024')).statusCode !== 303) throw new Error('login failed');
const USER2_TX = 'User2tx2024';
const group = await db.selectFrom('groups').select('id').where('name', '=', '振込').executeTakeFirstOrThrow();
const account = await accountOf(db, '1000088');

async function setGroup(approval: { authority: boolean; limit: string | null; self: string | null }, transfer = true) {
  await db.updateTable('groups').set({ approval_authority: approval.authority, approval_limit: approval.limit, self_approval_limit: approval.self })
    .where('id', '=', group.id).execute();
  await db.updateTable('group_account_rights').set({ transfer }).where('group_id', '=', group.id).where('account_id', '=', account.id).execute();
}
const SEEDED = { authority: true, limit: '10000000', self: '1000000' };

interface Case {
  reason: string;
  ja: string;
  en: string;
  setup: () => Promise<{ id: string; applyNo: string }>;
}

const cases: Case[] = [
  {
    reason: 'no_approval_right', ja: '承認権限がありません。', en: 'You have no approval authority.',
    setup: async () => {
      const a = await requestFor(db, { loginId: '1000000003', accountNumber: '1000088', amount: '1000' });
      await setGroup({ authority: false, limit: null, self: null });
      return a;
    },
  },
  {
    reason: 'over_approval_limit', ja: '承認限度額を超えています。', en: 'The amount exceeds your approval limit.',
    setup: async () => {
      await setGroup({ authority: true, limit: '3000', self: '1000' });
      return requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '3001' });
    },
  },
  {
    reason: 'over_self_approval_limit', ja: '自己承認限度額を超えています。', en: 'The amount exceeds your self-approval limit.',
    setup: async () => {
      await setGroup(SEEDED);
      return requestFor(db, { loginId: '1000000003', accountNumber: '1000088', amount: '1000001' });
    },
  },
  {
    reason: 'no_transfer_right', ja: 'この口座の振込・振替権限がありません。', en: 'You have no transfer right on this account.',
    setup: async () => {
      await setGroup(SEEDED);
      const a = await requestFor(db, { loginId: '1000000003', accountNumber: '1000088', amount: '1000' });
      await setGroup(SEEDED, false);
      return a;
    },
  },
];

for (const c of cases) {
  t.test(`${c.reason}: ${c.ja}`, async (t) => {
    const a = await c.setup();
    const list = await user2.get('/ib/approvals?status=pending');
    const line = /<tr data-apply-no="\d+"[^>]*>[\s\S]*?<\/tr>/.exec(list.body.slice(list.body.indexOf(`data-apply-no="${a.applyNo}"`) - 10));
    t.ok(line, 'the application is in the list');
    t.match(visibleText(line?.[0] ?? ''), c.ja, 'the list says why it cannot be approved');

    const page = await user2.get(`/ib/approvals/${a.id}`);
    t.equal(page.statusCode, 200);
    t.match(visibleText(/<div class="alert" id="refusal">[\s\S]*?<\/div>/.exec(page.body)?.[0] ?? ''), `承認できません: ${c.ja}`);
    t.notMatch(page.body, /value="approve"/, 'no 承認 button');
    const en = await user2.get(`/ib/approvals/${a.id}?lang=en`);
    t.match(visibleText(en.body), `Cannot approve: ${c.en}`);
    await user2.get('/ib/?lang=ja');

    await user2.get(`/ib/approvals/${a.id}`);
    const forced = await user2.post(`/ib/approvals/${a.id}`, { version: versionIn(page.body), decision: 'approve', transactionPassword: USER2_TX });
    t.equal(forced.statusCode, 403, 'a forced 承認 is refused');
    t.match(visibleText(/<div class="alert" role="alert">[\s\S]*?<\/div>/.exec(forced.body)?.[0] ?? ''), c.ja, 'with the reason');
    t.equal((await statusOf(db, a.id)).status, 'pending');
    const audit = await db.selectFrom('audit_events').select('details').where('type', '=', 'transfer.approval_refused').execute();
    t.ok(audit.some((e) => e.details['applyNo'] === a.applyNo && e.details['reason'] === c.reason), 'the refusal is an audit row');
  });
}

t.test('at the limits: 自己承認限度額 and 承認限度額 themselves are within', async (t) => {
  await setGroup(SEEDED);
  const own = await requestFor(db, { loginId: '1000000003', accountNumber: '1000088', amount: '1000000' });
  const other = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '10000000' });
  for (const a of [own, other]) {
    const page = await user2.get(`/ib/approvals/${a.id}`);
    t.notMatch(page.body, /id="refusal"/);
    t.match(page.body, /value="approve">承認</);
  }
  const res = await user2.post(`/ib/approvals/${own.id}`, { version: versionIn((await user2.get(`/ib/approvals/${own.id}`)).body), decision: 'approve', transactionPassword: USER2_TX });
  t.equal(res.statusCode, 303, 'user 2 approves their own 1,000,000 yen');
  t.equal((await statusOf(db, own.id)).status, 'executed');
});

t.test('差戻 without 承認権限 is refused with the reason too', async (t) => {
  await setGroup(SEEDED);
  const a = await requestFor(db, { loginId: '1000000001', accountNumber: '1000088', amount: '1200' });
  const page = await user2.get(`/ib/approvals/${a.id}`);
  t.match(page.body, /value="return"/);
  await setGroup({ authority: false, limit: null, self: null });
  const res = await user2.post(`/ib/approvals/${a.id}`, { version: versionIn(page.body), decision: 'return', transactionPassword: USER2_TX });
  t.equal(res.statusCode, 404, 'without 承認権限 the master\'s application is no longer visible to user 2');
  t.equal((await statusOf(db, a.id)).status, 'pending');
  await setGroup(SEEDED);
});
