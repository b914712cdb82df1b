import t from 'tap';
import { sql } from 'kysely';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { openConfirmation } from './flow-helpers.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

// No SMTP_URL: the outbox is where mail is delivered (the development mailbox).
const { app, database } = await buildTestApp(t, { env: { DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);

const newestMailTo = (to: string) => db.selectFrom('mail_outbox').select(['text_body', sql<string>`xmin::text`.as('xmin')])
  .where('to_address', '=', to).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();

async function confirmNewest(proposal: Awaited<ReturnType<IbClient['post']>>) {
  const { path } = await openConfirmation(master, proposal);
  const token = /メールトークン: ([0-9]{6})/.exec((await newestMailTo(MASTER.mail))!.text_body)![1]!;
  return master.post(path, { transactionPassword: MASTER.tx, mailToken: token });
}

// xmin names the transaction that wrote a row: equal xmin means committed together, or not at all.
t.test('a メールトークン’s mail is written with the token', async (t) => {
  await master.get('/ib/business-id/groups/new');
  const { path } = await openConfirmation(master, await master.post('/ib/business-id/groups/new', { name: 'トークン同時', approval: 'no' }));
  t.match(path, /^\/ib\/confirm\//);
  const token = await db.selectFrom('email_tokens').select(sql<string>`xmin::text`.as('xmin')).where('consumed_at', 'is', null).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  const mail = await newestMailTo(MASTER.mail);
  t.match(mail!.text_body, /メールトークン: [0-9]{6}/);
  t.equal(mail!.xmin, token.xmin, 'one transaction wrote the token and its mail');
});

t.test('a new user’s credential mail is written in the same transaction as the user', async (t) => {
  const group = await db.selectFrom('groups').select('id').where('name', '=', '振込').executeTakeFirstOrThrow();
  await master.get('/ib/business-id/users/new');
  const done = await confirmNewest(await master.post('/ib/business-id/users/new', { name: ['送信 確認'], email: ['credentials@example.test'], groupId: [group.id], action: 'confirm' }));
  t.equal(done.statusCode, 200);
  t.notMatch(visibleText(done.body), '送信できませんでした');
  const user = await db.selectFrom('users').select(['login_id', sql<string>`xmin::text`.as('xmin')]).where('email', '=', 'credentials@example.test').executeTakeFirstOrThrow();
  const mail = await newestMailTo('credentials@example.test');
  t.ok(mail, 'the mail is in the outbox');
  t.match(mail!.text_body, `ユーザーID（ログインID）: ${user.login_id}`);
  t.match(mail!.text_body, /仮ログインパスワード: [A-Za-z0-9]{12}/);
  t.equal(mail!.xmin, user.xmin, 'one transaction wrote the user and the mail');
});

t.test('a login password reset’s mail (URL and 認証番号) is written with the reset', async (t) => {
  const user = await db.selectFrom('users').select(['id', 'email']).where('login_id', '=', '1000000003').executeTakeFirstOrThrow();
  await master.get('/ib/business-id/users?mode=login-reset');
  const done = await confirmNewest(await master.post('/ib/business-id/users/login-reset', { userIds: [user.id] }));
  t.equal(done.statusCode, 200);
  const reset = await db.selectFrom('password_resets').select(sql<string>`xmin::text`.as('xmin')).where('user_id', '=', user.id).where('consumed_at', 'is', null).executeTakeFirstOrThrow();
  const mail = await newestMailTo(user.email);
  t.match(mail!.text_body, /認証番号: [0-9]{6}/);
  t.equal(mail!.xmin, reset.xmin, 'one transaction wrote the reset and its mail');
});
