import t, { type Test } from 'tap';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation } from './flow-helpers.ts';

// Bad form input on the ビジネスID管理 screens (wrong types, NUL, over-long or unknown fields) gets the
// page again with a message that names the field: never a 500, never raw JSON in a browser.
t.setTimeout(180_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER_MAIL = 'taro.aozora@aozora-shoji.example';
const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const G = (await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', '振込').executeTakeFirstOrThrow()).id;
const acc = (await db.selectFrom('accounts').select('id').where('customer_id', '=', corp.id).where('account_type_code', '=', '01').executeTakeFirstOrThrow()).id;

const master = new IbClient(app);
await master.login('1000000001', 'Aozora2024');
const pending = async () => Number((await db.selectFrom('pending_changes').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

/** A refused form: 400, an HTML page (not JSON) carrying the form again and the message. */
function refusedWithPage(t: Test, res: Awaited<ReturnType<IbClient['post']>>, message: string | RegExp, form: RegExp, what: string) {
  t.equal(res.statusCode, 400, what);
  t.match(String(res.headers['content-type']), /^text\/html/, `${what}: a page`);
  t.match(res.body, form, `${what}: the form again`);
  t.match(visibleText(res.body), message, `${what}: the field named`);
}

t.test('グループ新規登録: NUL, repeated, over-long, unknown or ill-typed fields', async (t) => {
  const before = await pending();
  const form = /action="\/ib\/business-id\/groups\/new"/;
  await master.get('/ib/business-id/groups/new');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: '\u0000' }), '「グループ名」に使用できない文字が含まれています。', form, 'name=%00');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: ['a', 'b'] }), '「グループ名」の入力内容に誤りがあります。', form, 'a repeated name');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: 'あ'.repeat(2000) }), '「グループ名」が長すぎます。', form, 'a very long name');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: 'あ'.repeat(31) }), 'グループ名は1〜30文字で入力してください。', form, 'one character too many');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: 'x', approval: 'maybe' }), '「承認権限」の入力内容に誤りがあります。', form, 'approval=maybe');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: 'x', [`a_${acc}_inquiry`]: 'yes' }), '「円普通預金」の入力内容に誤りがあります。', form, 'a right that is not a checkbox value');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: 'x', userAdmin: 'perhaps' }), '「グループ・ユーザー権限設定」の入力内容に誤りがあります。', form, 'an その他 right');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: 'x', evil: 'on' }), '入力内容に誤りがあります。', form, 'an unknown field');
  refusedWithPage(t, await master.post('/ib/business-id/groups/new', { name: 'x', approvalLimitMan: '\u0000' }), '「承認限度額1件」に使用できない文字', form, 'NUL in a limit');
  t.equal(await pending(), before, 'nothing was proposed');
  t.notMatch(visibleText(master.lastHtml), '\u0000');
  const en = await master.post('/ib/business-id/groups/new?lang=en', { name: '\u0000' });
  t.equal(en.statusCode, 400);
  t.match(visibleText(en.body), '“Group name” contains a character that cannot be used.', 'in English too');
  await master.get('/ib/?lang=ja');
});

t.test('グループ編集 and グループ削除: a malformed form gets the list again', async (t) => {
  await master.get('/ib/business-id/groups?mode=edit');
  const edit = await master.post('/ib/business-id/groups/edit', { groupId: '\u0000', version: '1', name: 'x' });
  refusedWithPage(t, edit, '「グループ名」に使用できない文字', /action="\/ib\/business-id\/groups\/edit"/, 'NUL in the group id');
  await master.get('/ib/business-id/groups?mode=delete');
  refusedWithPage(t, await master.post('/ib/business-id/groups/delete', { groupIds: ['\u0000'] }), '「グループ名」に使用できない文字', /action="\/ib\/business-id\/groups\/delete"/, 'NUL in a ticked group');
  const bogus = await master.get('/ib/business-id/groups?mode=bogus');
  t.equal(bogus.statusCode, 400, 'an unknown list mode');
  t.match(String(bogus.headers['content-type']), /^text\/html/);
});

t.test('ユーザー登録・編集: the row is named, and the rows per form are limited', async (t) => {
  const before = await pending();
  const form = /action="\/ib\/business-id\/users\/new"/;
  await master.get('/ib/business-id/users/new');
  refusedWithPage(t, await master.post('/ib/business-id/users/new', { name: ['a', 'b'], email: ['a@example.test', 'b\u0000@example.test'], groupId: [G, G], action: 'confirm' }),
    '2行目: 「メールアドレス」に使用できない文字が含まれています。', form, 'NUL in row 2');
  const many = Array.from({ length: 21 }, (_, i) => `u${i}`);
  refusedWithPage(t, await master.post('/ib/business-id/users/new', { name: many, email: many.map((n) => `${n}@example.test`), groupId: many.map(() => G), action: 'confirm' }),
    '一度に入力できるのは20件までです。', form, '21 rows');
  const twenty = await master.post('/ib/business-id/users/new', { name: many.slice(0, 18), email: many.slice(0, 18), groupId: many.slice(0, 18).map(() => G), add: '5' });
  t.equal(twenty.statusCode, 200);
  t.equal((twenty.body.match(/name="name"/g) ?? []).length, 20, '+5件追加 stops at 20 rows');
  t.notMatch(twenty.body, /name="add"/, 'and is offered no more');
  t.match(visibleText(twenty.body), '一度に20件まで入力できます。');
  refusedWithPage(t, await master.post('/ib/business-id/users/new', { name: ['a'], email: ['a@example.test'], groupId: [G], add: '7' }), '入力内容に誤りがあります。', form, 'add=7');
  await master.get('/ib/business-id/users?mode=edit');
  refusedWithPage(t, await master.post('/ib/business-id/users/edit/confirm', { userId: ['\u0000'], name: ['a'], email: ['a@example.test'], groupId: [G] }),
    '1行目: 「ユーザーID」に使用できない文字', /action="\/ib\/business-id\/users\/edit"/, 'NUL in a user id of the edit form');
  await master.get('/ib/business-id/users?mode=delete');
  refusedWithPage(t, await master.post('/ib/business-id/users/delete', { userIds: ['\u0000'] }), '「ユーザーID」に使用できない文字', /action="\/ib\/business-id\/users\/delete"/, 'NUL in a ticked user');
  t.equal(await pending(), before, 'nothing was proposed');
});

t.test('the confirmation screen: a malformed 取引パスワード or メールトークン gets the screen again, and nothing is spent', async (t) => {
  await master.get('/ib/business-id/groups/new');
  const { path } = await openConfirmation(master, await master.post('/ib/business-id/groups/new', { name: '入力確認', approval: 'no' }));
  const code = lastToken(smtp.mails, MASTER_MAIL);
  const nul = await master.post(path, { transactionPassword: 'Torihiki2024\u0000', mailToken: code });
  refusedWithPage(t, nul, '「取引パスワード」に使用できない文字', /name="mailToken"/, 'NUL in the password');
  refusedWithPage(t, await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: [code, code] }), '「メールトークン」の入力内容に誤りがあります。', /name="mailToken"/, 'a repeated token');
  const u = await db.selectFrom('users').select('transaction_password_failed_count').where('login_id', '=', '1000000001').executeTakeFirstOrThrow();
  t.equal(u.transaction_password_failed_count, 0, 'not counted as a wrong password');
  t.equal((await master.post(path, { transactionPassword: 'Torihiki2024', mailToken: code })).statusCode, 200, 'the token still works');
});

t.test('ビジネスID管理 申込: an unknown choice is explained on a page, not in JSON', async (t) => {
  await master.get('/ib/settings');
  const res = await master.post('/ib/settings/business-id/apply', { certificate: 'maybe', agree: 'on' });
  t.equal(res.statusCode, 400);
  t.match(String(res.headers['content-type']), /^text\/html/);
  t.match(visibleText(res.body), '「電子証明書の利用」の入力内容に誤りがあります。');
});
