import t from 'tap';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation, shownVersions } from './flow-helpers.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const ADMIN = { id: '1000000004', pw: 'User3pass2024', tx: 'User3tx2024', mail: 'naoko.takahashi@aozora-shoji.example' };
const REFUSAL = '他の管理者がこの内容を変更しました。最新の内容を確認してください。';

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);
const admin = new IbClient(app);
await admin.login(ADMIN.id, ADMIN.pw);

/** The form as the page shows it: text and hidden values, ticked boxes and radios. */
function shownForm(html: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [tag] of html.matchAll(/<input [^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(tag)?.[1];
    if (!name || name === '_csrf') continue;
    const type = /type="([^"]+)"/.exec(tag)?.[1] ?? 'text';
    if ((type === 'checkbox' || type === 'radio') && !/ checked[ >/]/.test(tag)) continue;
    form[name] = /value="([^"]*)"/.exec(tag)?.[1] ?? 'on';
  }
  return form;
}

async function confirm(c: IbClient, path: string, who: { tx: string; mail: string }) {
  await c.get(path);
  return c.post(path, { transactionPassword: who.tx, mailToken: lastToken(smtp.mails, who.mail) });
}

const groupRow = (name: string) => db.selectFrom('groups').select(['id', 'name', 'audit_log_view', 'smartphone_app', 'version']).where('name', '=', name).executeTakeFirstOrThrow();
const updates = (type: string) => db.selectFrom('audit_events').select('id').where('type', '=', type).execute().then((r) => r.length);

t.test('two administrators edit one group: the later confirmation is refused (409) and the rename is not lost', async (t) => {
  const group = await groupRow('振込');
  const formOf = async (c: IbClient) => shownForm((await c.get(`/ib/business-id/groups/edit?groupId=${group.id}`)).body);
  const masterForm = await formOf(master);
  const adminForm = await formOf(admin);
  t.equal(masterForm['version'], String(group.version), 'the form carries the version it shows');
  // Both propose from what they were shown; the master renames, the group administrator adds a right.
  const rename = await openConfirmation(master, await master.post('/ib/business-id/groups/edit', { ...masterForm, name: '振込（改称）' }));
  const addRight = await openConfirmation(admin, await admin.post('/ib/business-id/groups/edit', { ...adminForm, smartphoneApp: 'yes' }));
  const before = await updates('group.updated');

  const done = await confirm(master, rename.path, MASTER);
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), '完了');
  const late = await confirm(admin, addRight.path, ADMIN);
  t.equal(late.statusCode, 409, 'the second confirmation is refused');
  t.match(visibleText(late.body), REFUSAL, 'and says why, on the screen');
  t.notMatch(visibleText(late.body), '完了');

  const now = await groupRow('振込（改称）');
  t.equal(now.smartphone_app, group.smartphone_app, 'nothing of the refused edit was written');
  t.equal(now.version, group.version + 1);
  t.equal(await updates('group.updated'), before + 1, 'one change recorded');

  // Opened again, the form shows the rename, and the right can be added on top of it.
  const fresh = await formOf(admin);
  t.equal(fresh['name'], '振込（改称）');
  const again = await openConfirmation(admin, await admin.post('/ib/business-id/groups/edit', { ...fresh, smartphoneApp: 'yes' }));
  t.equal((await confirm(admin, again.path, ADMIN)).statusCode, 200);
  t.match(await groupRow('振込（改称）'), { smartphone_app: true, version: group.version + 2 }, 'both changes stand');
});

t.test('a form shown before another administrator’s change is refused already when entered', async (t) => {
  const group = await groupRow('振込（改称）');
  const stale = shownForm((await admin.get(`/ib/business-id/groups/edit?groupId=${group.id}`)).body);
  const form = shownForm((await master.get(`/ib/business-id/groups/edit?groupId=${group.id}`)).body);
  const change = await openConfirmation(master, await master.post('/ib/business-id/groups/edit', { ...form, auditLogView: group.audit_log_view ? 'no' : 'yes' }));
  t.equal((await confirm(master, change.path, MASTER)).statusCode, 200);
  await admin.get(`/ib/business-id/groups/edit?groupId=${group.id}`);
  const refused = await admin.post('/ib/business-id/groups/edit', { ...stale, name: '振込（三度目）' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), REFUSAL);
  t.equal((await groupRow('振込（改称）')).audit_log_view, !group.audit_log_view, 'the other change stands');
});

t.test('two administrators edit one user: the later confirmation is refused (409) and the first change is not lost', async (t) => {
  const user = await db.selectFrom('users').selectAll().where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  const open = async (c: IbClient) => {
    await c.get('/ib/business-id/users?mode=edit');
    return (await c.post('/ib/business-id/users/edit', { userIds: [user.id] })).body;
  };
  const masterVersions = shownVersions(await open(master));
  const adminVersions = shownVersions(await open(admin));
  t.same(masterVersions, [String(user.version)], 'each row carries the version it shows');
  const rows = (versions: string[], changed: { name?: string; email?: string }) => ({
    userId: [user.id], ...(versions.length > 0 ? { version: versions } : {}), name: [changed.name ?? user.name], email: [changed.email ?? user.email], groupId: [user.group_id!], action: 'confirm',
  });
  const rename = await openConfirmation(master, await master.post('/ib/business-id/users/edit/confirm', rows(masterVersions, { name: '佐藤 美咲（改名）' })));
  const remail = await openConfirmation(admin, await admin.post('/ib/business-id/users/edit/confirm', rows(adminVersions, { email: 'misaki.new@example.test' })));
  t.equal((await confirm(master, rename.path, MASTER)).statusCode, 200);
  const late = await confirm(admin, remail.path, ADMIN);
  t.equal(late.statusCode, 409);
  t.match(visibleText(late.body), REFUSAL);
  const now = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
  t.match(now, { name: '佐藤 美咲（改名）', email: user.email, version: user.version + 1 }, 'the rename stands; nothing of the refused edit was written');
});

t.test('a form without a version, or with one that is not a number, is refused without a change', async (t) => {
  const group = await groupRow('振込（改称）');
  const form = shownForm((await master.get(`/ib/business-id/groups/edit?groupId=${group.id}`)).body);
  const { version: _version, ...withoutVersion } = form;
  const missing = await master.post('/ib/business-id/groups/edit', withoutVersion);
  t.equal(missing.statusCode, 400);
  await master.get(`/ib/business-id/groups/edit?groupId=${group.id}`);
  t.equal((await master.post('/ib/business-id/groups/edit', { ...form, version: '1e3' })).statusCode, 400);
  t.equal((await groupRow('振込（改称）')).version, group.version);
});
