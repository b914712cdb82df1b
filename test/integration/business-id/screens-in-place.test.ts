import t from 'tap';
import { MAX_ROWS_PER_FORM } from '../../../src/internet-banking/business-id/business-id.schemas.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { confirmWith, openConfirmation, shownVersions } from './flow-helpers.ts';

// The ビジネスID管理 screens keep what was entered, explain the rights, and show refusals in place (seed 003 §2–§4).

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const ADMIN = { id: '1000000004', pw: 'User3pass2024' };
const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const acc88 = await db.selectFrom('accounts').select('id').where('customer_id', '=', corp.id).where('account_number', '=', '1000088').executeTakeFirstOrThrow();
const groupId = async (name: string) => (await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', name).executeTakeFirstOrThrow()).id;
const userId = async (loginId: string) => (await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow()).id;

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);
const admin = new IbClient(app);
await admin.login(ADMIN.id, ADMIN.pw);

/** The menu of the internet-banking layout: a page with it is not a dead end. */
const hasMenu = (html: string) => /<nav class="ib-menu"/.test(html);

t.test('※2 on the form: 承認権限 あり without 振込 rights is refused with the seed rule, input kept', async (t) => {
  await master.get('/ib/business-id/groups/new');
  const res = await master.post('/ib/business-id/groups/new', { name: '承認のみ', [`a_${acc88.id}_inquiry`]: 'on', approval: 'yes', approvalLimitMan: '300', selfApprovalLimitMan: '10' });
  t.equal(res.statusCode, 400);
  t.match(visibleText(res.body), '承認権限「あり」は、いずれかの口座に「振込・振替」または「総合振込」の権限がある場合のみ設定できます。');
  t.match(res.body, 'value="承認のみ"');
  t.match(res.body, 'value="300"');
});

t.test('the group form explains every その他 right and the 限度額 as seed 003 §3-1 does', async (t) => {
  const text = visibleText((await master.get('/ib/business-id/groups/new')).body);
  for (const line of [
    '重要権限とは、以下のすべての操作が可能となります。', 'オプションサービス（※）の申込・変更・解約', '※総合振込、ビジネスID管理サービス、振込入金口座サービス',
    'セキュリティ関連設定は、以下のすべての操作が可能となります。', 'ログイン方法、認証方法等各種設定', '電子証明書利用申込・解約', 'Visa Secure申込・設定',
    'ビジネスID管理サービスに係るグループおよびユーザーの管理・設定（照会/追加/削除/変更）および電子証明書の発行が可能となります。',
    '口座振替の契約登録（依頼書/Web）が可能となります。', '振込入金口座の利用（照会、発行、削除、休止、再開）が可能となります。',
    'ログイン履歴・操作ログの参照が可能となります。', 'スマートフォンアプリでのログインおよび操作が可能となります。',
    '※電子証明書を利用中の場合、スマートフォンアプリはご利用いただけません。',
    '残高証明書、取引明細書、利息計算書の発行請求（照会、申込、変更、PDF閲覧）が可能となります。',
    '限度額とは、振込等1件あたりの上限金額または総合振込1回あたりの合計金額の上限です。',
  ]) t.match(text, line);
  const en = visibleText((await master.get('/ib/business-id/groups/new?lang=en')).body);
  t.notMatch(en, /requires 照会|操作 requires|承認権限 あり|万円 \(/, 'English mode has no Japanese fragments in its sentences');
  t.match(en, 'Operate requires Inquiry');
  await master.get('/ib/business-id/groups/new?lang=ja');
});

t.test('戻る on a confirmation returns to the form with everything entered', async (t) => {
  await master.get('/ib/business-id/groups/new');
  const form = {
    name: '戻る確認', [`a_${acc88.id}_inquiry`]: 'on', [`a_${acc88.id}_operate`]: 'on', [`a_${acc88.id}_transfer`]: 'on',
    approval: 'yes', approvalLimitMan: '1,200', selfApprovalLimitMan: '30', fxInquiry: 'on', auditLogView: 'yes', documentIssuance: 'yes',
  };
  const { page, path } = await openConfirmation(master, await master.post('/ib/business-id/groups/new', form));
  const back = /<a href="([^"]+)">戻る<\/a>/.exec(page.body)?.[1]?.replaceAll('&amp;', '&');
  t.equal(back, `/ib/business-id/groups/new?from=${path.split('/').pop()}`);
  const again = await master.get(back!);
  t.equal(again.statusCode, 200);
  for (const field of ['value="戻る確認"', `name="a_${acc88.id}_transfer" checked`, 'value="1200"', 'value="30"', 'name="fxInquiry" checked', 'name="auditLogView" value="yes" aria-describedby="help-auditLogView" checked']) {
    t.match(again.body, field);
  }

  // グループ編集
  const g = await groupId('振込');
  const [version] = shownVersions((await master.get(`/ib/business-id/groups/edit?groupId=${g}`)).body);
  const edit = await openConfirmation(master, await master.post('/ib/business-id/groups/edit', { ...form, name: '振込（変更）', groupId: g, version: version! }));
  const editBack = /<a href="([^"]+)">戻る<\/a>/.exec(edit.page.body)![1]!.replaceAll('&amp;', '&');
  const editAgain = await master.get(editBack);
  t.match(editAgain.body, 'value="振込（変更）"');
  t.match(editAgain.body, `name="groupId" value="${g}"`);

  // ユーザー追加 with two rows
  await master.get('/ib/business-id/users/new');
  const users = await openConfirmation(master, await master.post('/ib/business-id/users/new', { name: ['山田 一郎', '山田 二郎'], email: ['ichiro@example.test', 'jiro@example.test'], groupId: [g, g], action: 'confirm' }));
  const usersAgain = await master.get(/<a href="([^"]+)">戻る<\/a>/.exec(users.page.body)![1]!.replaceAll('&amp;', '&'));
  for (const v of ['value="山田 一郎"', 'value="jiro@example.test"']) t.match(usersAgain.body, v);
  t.equal((usersAgain.body.match(new RegExp(`<option value="${g}" selected`, 'g')) ?? []).length, 2);

  // ユーザー編集
  const u2 = await userId('1000000003');
  await master.get('/ib/business-id/users?mode=edit');
  const shown = shownVersions((await master.post('/ib/business-id/users/edit', { userIds: [u2] })).body);
  const edited = await openConfirmation(master, await master.post('/ib/business-id/users/edit/confirm', { userId: [u2], version: shown, name: ['名前 変更'], email: ['changed@example.test'], groupId: [g], action: 'confirm' }));
  const editedAgain = await master.get(/<a href="([^"]+)">戻る<\/a>/.exec(edited.page.body)![1]!.replaceAll('&amp;', '&'));
  t.match(editedAgain.body, 'value="名前 変更"');
  t.match(editedAgain.body, 'value="changed@example.test"');

  // A selection (ユーザー削除): the same users are ticked again.
  await master.get('/ib/business-id/users?mode=delete');
  const del = await openConfirmation(master, await master.post('/ib/business-id/users/delete', { userIds: [u2] }));
  const delAgain = await master.get(/<a href="([^"]+)">戻る<\/a>/.exec(del.page.body)![1]!.replaceAll('&amp;', '&'));
  t.match(delAgain.body, new RegExp(`value="${u2}" id="u-${u2}" aria-label="[^"]*" checked`));
  t.ok(await db.selectFrom('users').select('id').where('id', '=', u2).where('deleted_at', 'is', null).executeTakeFirst(), 'nothing was deleted');
});

t.test('refusals show on the screen they belong to, with the menu', async (t) => {
  const none = await master.get('/ib/business-id/groups/edit');
  t.equal(none.statusCode, 400);
  t.match(visibleText(none.body), '編集対象グループを選択してください。');
  t.ok(hasMenu(none.body), 'グループ編集 with nothing selected: the selection screen with the menu');

  await master.get('/ib/business-id/groups?mode=delete');
  const nothing = await master.post('/ib/business-id/groups/delete', {});
  t.equal(nothing.statusCode, 400);
  t.match(visibleText(nothing.body), '対象を選択してください。');
  t.ok(hasMenu(nothing.body));

  await admin.get('/ib/business-id/groups?mode=delete');
  const own = await admin.post('/ib/business-id/groups/delete', { groupIds: [await groupId('グループユーザー')] });
  t.equal(own.statusCode, 403);
  t.match(visibleText(own.body), 'ご自身が所属するグループは削除できません。');
  t.ok(hasMenu(own.body));

  // A confirmation posted again after it was made.
  await master.get('/ib/business-id/groups/new');
  const proposal = await master.post('/ib/business-id/groups/new', { name: '二度押し', approval: 'no' });
  const path = String(proposal.headers.location);
  const done = await confirmWith(master, smtp.mails, MASTER.mail, proposal, MASTER.tx);
  t.equal(done.statusCode, 200);
  const replay = await master.post(path, { transactionPassword: MASTER.tx, mailToken: '123456' });
  t.equal(replay.statusCode, 410);
  t.match(visibleText(replay.body), 'この手続きは有効期限切れか、既に完了しています。');
  t.match(visibleText(replay.body), 'グループ一覧');
  t.ok(hasMenu(replay.body), 'the group list with the message, not a bare error page');
  const reopened = await master.get(path);
  t.equal(reopened.statusCode, 410);
  t.ok(hasMenu(reopened.body));
});

t.test('ユーザー一覧 says what the administrator did: 取引パスワード再設定中', async (t) => {
  const u1 = await userId('1000000002');
  await master.get('/ib/business-id/users?mode=transaction-reset');
  const done = await confirmWith(master, smtp.mails, MASTER.mail, await master.post('/ib/business-id/users/transaction-reset', { userIds: [u1] }), MASTER.tx);
  t.equal(done.statusCode, 200);
  const list = await master.get('/ib/business-id/users');
  const row = list.body.split('<tr>').find((r) => r.includes('1000000002'))!;
  t.match(row, '取引パスワード再設定中');
  t.notMatch(row, '初回設定待ち');
});

t.test('messages that say what to do: 20 rows, no group yet, the master not offered to a group administrator', async (t) => {
  await master.get('/ib/business-id/users/new');
  const rows = (n: number) => ({ name: Array(n).fill(''), email: Array(n).fill(''), groupId: Array(n).fill('') });
  const full = await master.post('/ib/business-id/users/new', { ...rows(MAX_ROWS_PER_FORM - 2), add: '5' });
  t.equal((full.body.match(/name="name"/g) ?? []).length, MAX_ROWS_PER_FORM);
  t.match(visibleText(full.body), `入力欄は最大${MAX_ROWS_PER_FORM}件です。これ以上追加できません。`);
  t.notMatch(full.body, '+5件追加', 'the buttons are gone, and the message says why');

  const list = await admin.get('/ib/business-id/users?mode=edit');
  const masterId = await userId(MASTER.id);
  t.notMatch(list.body, `value="${masterId}"`, 'the master is not offered for ユーザー編集');
  const forced = await admin.post('/ib/business-id/users/edit', { userIds: [masterId] });
  t.equal(forced.statusCode, 403);
  t.match(visibleText(forced.body), '取引責任者の情報は、取引責任者のみ変更できます。');
  t.ok(hasMenu(forced.body));
});

t.test('the group list links each name to a read-only view of its rights', async (t) => {
  const g = await groupId('円普通照会 書面発行');
  const list = await master.get('/ib/business-id/groups');
  t.match(list.body, `href="/ib/business-id/groups/view?groupId=${g}"`);
  t.notMatch(list.body, 'href="/ib/business-id/groups/edit?groupId=');
  const view = await master.get(`/ib/business-id/groups/view?groupId=${g}`);
  t.equal(view.statusCode, 200);
  const text = visibleText(view.body);
  for (const label of ['グループ権限照会', '円普通照会 書面発行', '1000088', '書面発行', 'グループ編集']) t.match(text, label);
  t.notMatch(view.body, '<form method="post" action="/ib/business-id/groups/edit"', 'read-only');
  t.equal((await master.get('/ib/business-id/groups/view?groupId=00000000-0000-4000-8000-000000000000')).statusCode, 404);
});

t.test('the group-delete confirmation lists members in order, labels in a column of their own', async (t) => {
  const g = await groupId('振込');
  await master.get('/ib/business-id/users/new');
  const names = ['あ 一', 'い 二', 'う 三'];
  await confirmWith(master, smtp.mails, MASTER.mail, await master.post('/ib/business-id/users/new', { name: names, email: names.map((_, i) => `m${i}@example.test`), groupId: names.map(() => g), action: 'confirm' }), MASTER.tx);
  await master.get('/ib/business-id/groups?mode=delete');
  const { page } = await openConfirmation(master, await master.post('/ib/business-id/groups/delete', { groupIds: [g] }));
  t.match(page.body, '<dl class="summary group-delete">', 'label and value pairs, not a table whose names column squeezes the headers');
  const cell = /<dd class="names">([^<]*)<\/dd>/.exec(page.body)![1]!;
  const members = await db.selectFrom('users').select('name').where('group_id', '=', g).where('deleted_at', 'is', null).orderBy('created_at').orderBy('login_id').execute();
  t.equal(cell, members.map((m) => m.name).join('、'), 'in the order ユーザー一覧 shows them');
});

t.test('with no group yet, ユーザー追加 says a group is needed first', async (t) => {
  await db.deleteFrom('group_account_rights').where('customer_id', '=', corp.id).execute();
  await db.updateTable('users').set({ deleted_at: new Date(), group_id: null }).where('customer_id', '=', corp.id).where('role', '=', 'member').execute();
  await db.deleteFrom('groups').where('customer_id', '=', corp.id).execute();
  const list = await master.get('/ib/business-id/users');
  t.match(visibleText(list.body), 'ユーザーを追加するには、先にグループ一覧でグループを作成してください。');
  const form = await master.get('/ib/business-id/users/new');
  t.equal(form.statusCode, 409);
  t.match(visibleText(form.body), 'ユーザーを追加するには、先にグループ一覧でグループを作成してください。');
  t.ok(hasMenu(form.body));
});

t.test('電子証明書 and ビジネスID管理 解約: the seed 003 §2-3 notes in full', async (t) => {
  await db.updateTable('customers').set({ certificate_service_status: 'active' }).where('id', '=', corp.id).execute();
  await master.get('/ib/settings');
  const proposal = await master.post('/ib/settings/certificate/cancel', {});
  const { page } = await openConfirmation(master, proposal);
  const text = visibleText(page.body);
  for (const line of [
    '上記サービスを解約しますがよろしいですか？', '解約は即時に反映されますが、電子証明書の失効処理にはお時間をいただきますので、あらかじめご了承ください。',
    '<解約申込受付後のご注意>', '電子証明書は有効期限内であっても、通常3営業日以内（年末年始や連休を除く）に失効します。',
    '当社の失効処理前であっても、解約の取消はできません。ご利用を希望される場合は、あらかじめお申し込みいただき、新たに電子証明書の発行手続きをおこなってください。',
    '電子証明書の失効は、ご登録ユーザーの各メールアドレスに通知されます。', 'その他詳細は、「電子証明書の失効・解約について」をご確認ください。',
  ]) t.match(text, line);
  const done = await confirmWith(master, smtp.mails, MASTER.mail, proposal, MASTER.tx);
  const doneText = visibleText(done.body);
  t.match(doneText, '上記サービスの解約申込を受け付けました。');
  t.match(doneText, '有効な電子証明書がある場合、当社の失効処理が完了するまではログインが可能なため、操作を許可しないユーザーについては、【ユーザー一覧】-【ユーザー登録・編集】で削除してください。');

  await master.get('/ib/settings');
  const cancel = await openConfirmation(master, await master.post('/ib/settings/business-id/cancel', {}));
  const cancelText = visibleText(cancel.page.body);
  for (const line of [
    '上記サービスを解約してよろしいですか？', '<ご注意>', 'ビジネスID管理サービスを解約すると、登録済みのユーザーはすべて削除され、ログインができなくなります。',
    '電子証明書をご利用のお客さまは、本サービス解約前に、電子証明書サービスの解約手続きを完了する必要がありますので「電子証明書の失効・解約について」をご確認の上、お手続きください。',
    '変更をご希望の場合は、カスタマーセンターまでお問い合わせください',
    '注) 本サービスの利用が終了した場合、本サービスの利用終了時点で存在する取引等の取扱いについては、以下の各号に定めるとおりとします。',
    '(1)申請中の承認対象取引は全て取消となります。', '(2)ユーザーIDおよびユーザーグループは全て削除されます。',
    '(3)本サービス利用期間中に予約した振込等および総合振込の承認または取消はできず、全て予約取消となります。',
    '(4)本サービス解約後に再度本サービスの契約を行っても、解約前の申請履歴は全て削除されます。',
  ]) t.match(cancelText, line);
});
