import t from 'tap';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { openConfirmation } from './flow-helpers.ts';

// Every state-changing form of ビジネスID管理 and the confirmation screen refuses a missing, forged or
// foreign form token (DESIGN §6), and nothing is proposed, mailed or changed.
t.setTimeout(180_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const groupId = (await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', '振込').executeTakeFirstOrThrow()).id;
const userId = (await db.selectFrom('users').select('id').where('login_id', '=', '1000000002').executeTakeFirstOrThrow()).id;

const master = new IbClient(app);
await master.login('1000000001', 'Aozora2024');
const other = new IbClient(app);
await other.login('1000000004', 'User3pass2024');
await other.get('/ib/business-id/groups');

const pending = async () => Number((await db.selectFrom('pending_changes').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

const FORMS: [string, Record<string, string | string[]>][] = [
  ['/ib/business-id/groups/new', { name: 'csrf', approval: 'no' }],
  ['/ib/business-id/groups/edit', { groupId, name: 'csrf', approval: 'no' }],
  ['/ib/business-id/groups/delete', { groupIds: [groupId] }],
  ['/ib/business-id/users/new', { name: ['csrf'], email: ['csrf@example.test'], groupId: [groupId], action: 'confirm' }],
  ['/ib/business-id/users/edit', { userIds: [userId] }],
  ['/ib/business-id/users/edit/confirm', { userId: [userId], name: ['csrf'], email: ['csrf@example.test'], groupId: [groupId] }],
  ['/ib/business-id/users/delete', { userIds: [userId] }],
  ['/ib/business-id/users/login-reset', { userIds: [userId] }],
  ['/ib/business-id/users/transaction-reset', { userIds: [userId] }],
  ['/ib/settings/business-id/apply', { certificate: 'no', agree: 'on' }],
  ['/ib/settings/business-id/cancel', {}],
  ['/ib/settings/certificate/cancel', {}],
];

t.test('each form refuses a missing, forged or foreign token with 403 csrf_invalid, proposing nothing', async (t) => {
  await master.get('/ib/business-id/groups');
  const foreign = other.csrf();
  t.ok(foreign && master.csrf() && foreign !== master.csrf());
  const before = await pending();
  for (const [url, form] of FORMS) {
    const tokens: [string, string][] = [['missing', ''], ['forged', 'x'.repeat(52)], ['another session\'s', foreign]];
    for (const [what, token] of tokens) {
      const res = await master.post(url, { ...form, _csrf: token });
      t.equal(res.statusCode, 403, `${url}: ${what} token`);
      t.match(res.body, /画面の有効期限が切れました|csrf_invalid/, `${url}: ${what} token explained`);
    }
  }
  t.equal(await pending(), before, 'no change was proposed');
  t.match(await db.selectFrom('users').select(['name', 'deleted_at', 'status']).where('id', '=', userId).executeTakeFirstOrThrow(), { deleted_at: null, status: 'active' });
});

t.test('the confirmation screen refuses 登録 and 再発行 without the right token, and nothing is made or mailed', async (t) => {
  await master.get('/ib/business-id/groups/new');
  const { path } = await openConfirmation(master, await master.post('/ib/business-id/groups/new', { name: 'CSRF確認', approval: 'no' }));
  const mails = smtp.mails.length;
  for (const token of ['', 'x'.repeat(52), other.csrf()]) {
    t.equal((await master.post(`${path}/reissue`, { _csrf: token })).statusCode, 403, 'reissue');
    t.equal((await master.post(path, { _csrf: token, transactionPassword: 'Torihiki2024', mailToken: '123456' })).statusCode, 403, 'confirm');
  }
  t.equal(smtp.mails.length, mails, 'no token was mailed');
  t.notOk(await db.selectFrom('groups').select('id').where('name', '=', 'CSRF確認').executeTakeFirst(), 'nothing was made');
  const u = await db.selectFrom('users').select('transaction_password_failed_count').where('login_id', '=', '1000000001').executeTakeFirstOrThrow();
  t.equal(u.transaction_password_failed_count, 0, 'a refused form does not even count as a password attempt');
});
