import t from 'tap';
import { MAX_GROUPS_PER_CUSTOMER } from '../../../src/business-id/groups.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { confirmWith, openConfirmation, shownVersions } from './flow-helpers.ts';
import { insertGrant } from './grant-fixture.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const ADMIN = { id: '1000000004', pw: 'User3pass2024', tx: 'User3tx2024', mail: 'naoko.takahashi@aozora-shoji.example' };
const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const accounts = await db.selectFrom('accounts').select(['id', 'account_number']).where('customer_id', '=', corp.id).where('account_type_code', '=', '01').orderBy('account_number').execute();
const [acc88, acc658] = [accounts.find((a) => a.account_number === '1000088')!, accounts.find((a) => a.account_number === '1000658')!];
const groupId = async (name: string) => (await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', name).executeTakeFirst())?.id;

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);

const fullForm = (name: string) => ({
  name,
  [`a_${acc88.id}_inquiry`]: 'on', [`a_${acc88.id}_operate`]: 'on', [`a_${acc88.id}_transfer`]: 'on', [`a_${acc88.id}_bulk`]: 'on',
  [`a_${acc658.id}_inquiry`]: 'on',
  approval: 'yes', approvalLimitMan: '1,000', selfApprovalLimitMan: '100',
  timeDepositInquiry: 'on', timeDepositOperate: 'on', fxInquiry: 'on',
  importantOperations: 'no', securitySettings: 'yes', userAdmin: 'no', accountTransferService: 'yes', virtualAccountService: 'no',
  auditLogView: 'yes', smartphoneApp: 'no', documentIssuance: 'yes',
});

t.test('グループ一覧 shows the seed columns and the operation menu', async (t) => {
  const res = await master.get('/ib/business-id/groups');
  t.equal(res.statusCode, 200);
  const text = visibleText(res.body);
  for (const label of ['ビジネスID管理', 'グループ一覧', 'ユーザー一覧', '操作メニュー', 'グループ追加', 'グループ編集', 'グループ削除', 'グループ名', '登録ユーザー名', 'ユーザー数', '振込', '佐藤']) t.match(text, label);
  t.match(visibleText((await master.get('/ib/business-id/groups?mode=edit')).body), '編集対象グループを選択');
  t.match(visibleText((await master.get('/ib/business-id/groups?mode=delete')).body), '削除対象グループをチェック');
});

t.test('グループ新規登録: input → 確認 → 登録 with the full permission matrix in 万円', async (t) => {
  const form = await master.get('/ib/business-id/groups/new');
  const text = visibleText(form.body);
  for (const label of ['グループ新規登録', '内容の入力', 'グループ名', '円普通預金', '1000088', '1000658', '照会', '操作', '振込・振替', '総合振込', '承認権限', '承認限度額1件', '自己承認限度額1件', '万円', '円定期預金', '外貨普通預金', '重要権限', 'セキュリティ関連設定', 'グループ・ユーザー権限設定', '口座振替サービス', '振込入金口座サービス', 'ログイン・操作履歴', 'スマートフォンアプリ（取引用）', '書面発行', 'キャンセル', '確認']) {
    t.match(text, label);
  }
  const proposal = await master.post('/ib/business-id/groups/new', fullForm('経理'));
  const { page } = await openConfirmation(master, proposal);
  const confirmText = visibleText(page.body);
  for (const label of ['グループ新規登録 確認', '経理', '1,000万円', '100万円', '照会・操作・振込・振替・総合振込', '登録可', '照会可']) t.match(confirmText, label);
  t.notOk(await groupId('経理'), 'nothing written before confirmation');
  const done = await master.post(String(proposal.headers.location), { transactionPassword: MASTER.tx, mailToken: (await import('./flow-helpers.ts')).lastToken(smtp.mails, MASTER.mail) });
  t.equal(done.statusCode, 200);
  const g = await db.selectFrom('groups').selectAll().where('name', '=', '経理').executeTakeFirstOrThrow();
  t.match(g, { approval_authority: true, approval_limit: '10000000', self_approval_limit: '1000000', time_deposit_inquiry: true, time_deposit_operate: true, fx_inquiry: true, fx_operate: false, security_settings: true, user_admin: false, account_transfer_service: true, audit_log_view: true, document_issuance: true, important_operations: false });
  const rights = await db.selectFrom('group_account_rights').select(['account_id', 'inquiry', 'operate', 'transfer', 'bulk_transfer']).where('group_id', '=', g.id).orderBy('account_id').execute();
  t.same(rights.sort((a, b) => (a.account_id === acc88.id ? -1 : 1)), [
    { account_id: acc88.id, inquiry: true, operate: true, transfer: true, bulk_transfer: true },
    { account_id: acc658.id, inquiry: true, operate: false, transfer: false, bulk_transfer: false },
  ]);
  const ev = await db.selectFrom('audit_events').select(['actor_login_id', 'details']).where('type', '=', 'group.created').executeTakeFirstOrThrow();
  t.equal(ev.actor_login_id, MASTER.id);
  t.match(ev.details, { name: '経理' });
  t.match(visibleText((await master.get('/ib/business-id/groups')).body), '経理');
});

t.test('hierarchy and limit violations are refused with the rule named, even when posted directly', async (t) => {
  await master.get('/ib/business-id/groups/new');
  const cases: [Record<string, string>, RegExp][] = [
    [{ name: 'x1', [`a_${acc88.id}_operate`]: 'on' }, /「操作」には「照会」が必要です/],
    [{ name: 'x2', [`a_${acc88.id}_inquiry`]: 'on', [`a_${acc88.id}_transfer`]: 'on' }, /「振込・振替」には「操作」が必要です/],
    [{ name: 'x3', [`a_${acc88.id}_inquiry`]: 'on', [`a_${acc88.id}_bulk`]: 'on' }, /「総合振込」には「操作」が必要です/],
    [{ name: 'x4', timeDepositOperate: 'on' }, /円定期預金の「操作」には「照会」が必要です/],
    [{ name: 'x5', fxOperate: 'on' }, /外貨普通預金の「操作」には「照会」が必要です/],
    [{ name: 'x6', approval: 'yes', approvalLimitMan: '100', selfApprovalLimitMan: '101' }, /自己承認限度額は承認限度額以下/],
    [{ name: 'x7', approval: 'yes', approvalLimitMan: '-1', selfApprovalLimitMan: '0' }, /承認限度額は0〜99,999,999/],
    [{ name: 'x8', approval: 'yes', approvalLimitMan: '1.5', selfApprovalLimitMan: '0' }, /整数（万円）/],
    [{ name: 'x9', approval: 'yes', approvalLimitMan: '', selfApprovalLimitMan: '0' }, /承認限度額/],
    [{ name: 'x10', approval: 'yes', approvalLimitMan: '100000000', selfApprovalLimitMan: '0' }, /99,999,999/],
    [{ name: '' }, /グループ名は1〜30文字/],
    [{ name: 'あ'.repeat(31) }, /グループ名は1〜30文字/],
    [{ name: '振込' }, /同じ名前のグループ/],
  ];
  for (const [form, message] of cases) {
    const r = await master.post('/ib/business-id/groups/new', form);
    t.equal(r.statusCode, r.statusCode === 409 ? 409 : 400, JSON.stringify(form));
    t.match(visibleText(r.body), message, JSON.stringify(form));
  }
  // 振込 is taken: detected at confirmation (unique constraint) at the latest.
  const foreign = await db.insertInto('customers').values({ kind: 'corporate', name: '他社', name_kana: 'ﾀｼｬ', business_id_status: 'active' }).returning('id').executeTakeFirstOrThrow();
  const theirs = await db.insertInto('accounts').values({ customer_id: foreign.id, branch_code: '101', branch_name: '法人営業部', account_type_code: '01', account_number: '7777777', account_name: '他社', account_name_kana: 'ﾀｼｬ', currency: 'JPY', opened_on: '2024-01-01' }).returning('id').executeTakeFirstOrThrow();
  const r = await master.post('/ib/business-id/groups/new', { name: 'x11', [`a_${theirs.id}_inquiry`]: 'on' });
  t.equal(r.statusCode, 303, 'fields for unknown accounts are ignored');
  const { page } = await openConfirmation(master, r);
  t.notMatch(visibleText(page.body), '7777777');
});

t.test('グループ編集: the edit screen, then a change that takes effect', async (t) => {
  const id = (await groupId('経理'))!;
  const list = await master.get('/ib/business-id/groups?mode=edit');
  t.match(list.body, `value="${id}"`);
  const form = await master.get(`/ib/business-id/groups/edit?groupId=${id}`);
  t.equal(form.statusCode, 200);
  t.match(visibleText(form.body), 'グループ編集');
  t.match(form.body, /name="approvalLimitMan" inputmode="numeric" maxlength="11" value="1000"/);
  const [version] = shownVersions(form.body);
  t.ok(version, 'the form carries the version it shows');
  const proposal = await master.post('/ib/business-id/groups/edit', { ...fullForm('経理（変更）'), groupId: id, version: version!, approval: 'no', auditLogView: 'no' });
  const { page } = await openConfirmation(master, proposal);
  t.match(visibleText(page.body), 'ユーザーグループ編集 確認');
  const { lastToken } = await import('./flow-helpers.ts');
  const done = await master.post(String(proposal.headers.location), { transactionPassword: MASTER.tx, mailToken: lastToken(smtp.mails, MASTER.mail) });
  t.equal(done.statusCode, 200);
  const g = await db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  t.match(g, { name: '経理（変更）', approval_authority: false, approval_limit: null, audit_log_view: false });
  t.equal((await master.get('/ib/business-id/groups/edit?groupId=nope')).statusCode, 400);
  await master.get('/ib/business-id/groups/new');
  t.equal((await master.post('/ib/business-id/groups/edit', { ...fullForm('y'), groupId: 'nope', version: '1' })).statusCode, 404);
  await master.get('/ib/business-id/groups/new');
  t.equal((await master.post('/ib/business-id/groups/edit', { ...fullForm('y'), groupId: '00000000-0000-4000-8000-000000000000', version: '1' })).statusCode, 404);
});

t.test('a group administrator cannot remove グループ・ユーザー権限設定 from, or delete, their own group', async (t) => {
  const admin = new IbClient(app);
  await admin.login(ADMIN.id, ADMIN.pw);
  const own = (await groupId('グループユーザー'))!;
  const [version] = shownVersions((await admin.get(`/ib/business-id/groups/edit?groupId=${own}`)).body);
  const r = await admin.post('/ib/business-id/groups/edit', { name: 'グループユーザー', groupId: own, version: version!, userAdmin: 'no' });
  t.equal(r.statusCode, 403);
  t.match(visibleText(r.body), '「グループ・ユーザー権限設定」を不可に変更することはできません');
  const keep = await admin.post('/ib/business-id/groups/edit', { name: 'グループユーザー', groupId: own, version: version!, userAdmin: 'yes', auditLogView: 'yes' });
  t.equal(keep.statusCode, 303, 'other changes to the own group are fine');
  await admin.get('/ib/business-id/groups?mode=delete');
  const del = await admin.post('/ib/business-id/groups/delete', { groupIds: [own] });
  t.equal(del.statusCode, 403);
  t.match(visibleText(del.body), 'ご自身が所属するグループは削除できません');
  // Checked again at confirmation: the master takes the right away between entry and confirmation.
  const { path } = await openConfirmation(admin, keep);
  await db.updateTable('groups').set({ user_admin: false }).where('id', '=', own).execute();
  const late = await admin.post(path, { transactionPassword: ADMIN.tx, mailToken: (await import('./flow-helpers.ts')).lastToken(smtp.mails, ADMIN.mail) });
  t.equal(late.statusCode, 403, 'a right removed takes effect on the next request');
  await db.updateTable('groups').set({ user_admin: true }).where('id', '=', own).execute();
});

t.test('グループ削除 warns, deletes member users, revokes their grants and ends their sessions', async (t) => {
  const id = (await groupId('振込'))!;
  const member = await db.selectFrom('users').select('id').where('login_id', '=', '1000000003').executeTakeFirstOrThrow();
  const grant = await insertGrant(db, member.id);
  const victim = new IbClient(app);
  await victim.login('1000000003', 'User2pass2024');
  await master.get('/ib/business-id/groups?mode=delete');
  const proposal = await master.post('/ib/business-id/groups/delete', { groupIds: [id] });
  const { page } = await openConfirmation(master, proposal);
  t.match(visibleText(page.body), 'グループにユーザーが登録されている場合は、ユーザーも同時に削除されます');
  t.match(visibleText(page.body), 'ビジネスID管理 グループ削除 確認');
  const { lastToken } = await import('./flow-helpers.ts');
  const done = await master.post(String(proposal.headers.location), { transactionPassword: MASTER.tx, mailToken: lastToken(smtp.mails, MASTER.mail) });
  t.equal(done.statusCode, 200);
  t.notOk(await groupId('振込'));
  const u = await db.selectFrom('users').select(['deleted_at', 'group_id']).where('id', '=', member.id).executeTakeFirstOrThrow();
  t.ok(u.deleted_at);
  t.equal(u.group_id, null);
  const g = await db.selectFrom('grants').select(['revoked_at', 'revoked_by']).where('id', '=', grant).executeTakeFirstOrThrow();
  t.ok(g.revoked_at);
  t.equal(g.revoked_by, 'administrator');
  t.equal((await victim.get('/ib/')).statusCode, 303, 'the deleted user is logged out');
  t.equal((await victim.login('1000000003', 'User2pass2024')).statusCode, 401);
  t.equal((await master.post('/ib/business-id/groups/delete', { groupIds: [] })).statusCode, 400, 'nothing selected');
  t.equal((await master.post('/ib/business-id/groups/delete', { groupIds: ['00000000-0000-4000-8000-000000000000'] })).statusCode, 404);
});

t.test('the 101st group is refused, on the screen and at confirmation', async (t) => {
  const existing = Number((await db.selectFrom('groups').select((eb) => eb.fn.countAll<string>().as('c')).where('customer_id', '=', corp.id).executeTakeFirstOrThrow()).c);
  await master.get('/ib/business-id/groups/new');
  const pending = await master.post('/ib/business-id/groups/new', { name: '最後の一つ' });
  t.equal(pending.statusCode, 303);
  const rows = Array.from({ length: MAX_GROUPS_PER_CUSTOMER - existing }, (_, i) => ({ customer_id: corp.id, name: `g${i}` }));
  await db.insertInto('groups').values(rows).execute();
  t.notMatch(visibleText((await master.get('/ib/business-id/groups')).body), 'グループ追加', 'no add button at the limit');
  const r = await master.post('/ib/business-id/groups/new', { name: '101番目' });
  t.equal(r.statusCode, 409);
  t.match(visibleText(r.body), 'グループは最大100個まで登録できます。');
  const { path } = await openConfirmation(master, pending);
  const { lastToken } = await import('./flow-helpers.ts');
  const late = await master.post(path, { transactionPassword: MASTER.tx, mailToken: lastToken(smtp.mails, MASTER.mail) });
  t.equal(late.statusCode, 409, 'a change entered before the limit was reached is refused at confirmation');
});

t.test('English is available on the ビジネスID管理 screens', async (t) => {
  const en = new IbClient(app);
  await en.login(MASTER.id, MASTER.pw);
  const list = visibleText((await en.get('/ib/business-id/groups?lang=en')).body);
  for (const label of ['Groups', 'Operations', 'Edit group', 'Delete groups', 'You can add 0 more groups.']) t.match(list, label);
  t.match(visibleText((await en.get('/ib/business-id/users')).body), 'more users can be added', 'the choice sticks');
  await en.get('/ib/business-id/groups/new');
  t.match(visibleText(en.lastHtml), 'New group');
  const r = await en.post('/ib/business-id/groups/new', { name: '最後の一つ' });
  t.equal(r.statusCode, 409);
  t.match(visibleText(r.body), 'A customer can have at most 100 groups.');
  t.match(visibleText((await en.get('/ib/?lang=ja')).body), 'ホーム', 'and back to Japanese');
});
