import t, { type Test } from 'tap';
import { deriveCodeKey } from '../../../src/business-id/confirmations.service.ts';
import { issueLoginReset } from '../../../src/auth/passwords.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { TEST_SECRETS } from '../../helpers/build-app.ts';
import { createTestDatabase, testDatabaseUrl } from '../../helpers/database.ts';
import { accountByNumber, advanceToConsent, alertText, auditRows, grantsOf, login, startJourney, TITLES, USERS } from '../../helpers/fapi.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';
import { visibleText } from '../internet-banking/ib-client.ts';
import { HttpIbClient, startServerProcesses, type ServerProcess } from './server-processes.ts';

/**
 * Two real `node src/server.ts` processes on one PostgreSQL database, requests split between them as a
 * load balancer would: every attempt limit and every edit check must hold across processes, with exact
 * counts. PostgreSQL only: PGlite lives inside one process, so two processes cannot share it.
 */
if (!testDatabaseUrl) {
  t.plan(0, 'PostgreSQL only (DATABASE_URL): two server processes cannot share an in-process PGlite database');
} else {
  await suite();
}

async function suite(): Promise<void> {
  // Two child servers start, argon2 runs for every attempt: generous on a loaded 2-core machine.
  t.setTimeout(600_000);
  const database = await createTestDatabase(t);
  const { db } = database;
  await seedDemoData(db, { today: '2026-11-20' });
  const [a, b] = (await startServerProcesses(t, database, 2)) as [ServerProcess, ServerProcess];
  const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
  const ADMIN = { id: '1000000004', pw: 'User3pass2024', tx: 'User3tx2024', mail: 'naoko.takahashi@aozora-shoji.example' };
  const PARALLEL = 40;
  const since = () => new Date(Date.now() - 1000);
  const userByLogin = (loginId: string) => db.selectFrom('users').selectAll().where('login_id', '=', loginId).executeTakeFirstOrThrow();
  const countAudit = async (type: string, where: (d: Record<string, unknown>) => boolean, from: Date, subject?: string) => {
    let q = db.selectFrom('audit_events').select(['details', 'subject_user_id', 'actor_user_id']).where('type', '=', type).where('occurred_at', '>=', from);
    if (subject) q = q.where((eb) => eb.or([eb('actor_user_id', '=', subject), eb('subject_user_id', '=', subject)]));
    return (await q.execute()).filter((r) => where(r.details as Record<string, unknown>)).length;
  };
  /** The newest メールトークン in the outbox for this address. */
  const mailToken = async (to: string) => {
    const row = await db.selectFrom('mail_outbox').select('text_body').where('to_address', '=', to).where('subject', 'like', '%メールトークン%')
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    return /メールトークン: ([0-9]{6})/.exec(row.text_body)![1]!;
  };
  /** The form as the page shows it: text and hidden values, ticked boxes and radios. */
  const shownForm = (html: string): Record<string, string> => {
    const form: Record<string, string> = {};
    for (const [tag] of html.matchAll(/<input [^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(tag)?.[1];
      if (!name || name === '_csrf') continue;
      const type = /type="([^"]+)"/.exec(tag)?.[1] ?? 'text';
      const value = /value="([^"]*)"/.exec(tag)?.[1];
      if ((type === 'checkbox' || type === 'radio') && !/ checked[ >/]/.test(tag)) continue;
      form[name] = value ?? 'on';
    }
    return form;
  };
  const split = <T>(n: number, make: (p: ServerProcess, i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => make(i % 2 === 0 ? a : b, i)));

  t.test('login lockout: parallel wrong passwords on both processes lock at exactly 5, once', async (t) => {
    const from = since();
    const user = USERS.user2;
    const answers = await split(PARALLEL, (p) => new HttpIbClient(p).login(user.loginId, 'Wrong0pass'));
    t.comment(`answers: ${JSON.stringify(Object.entries(Object.groupBy(answers, (r) => r.statusCode)).map(([k, v]) => [k, v!.length]))}`);
    const row = await userByLogin(user.loginId);
    t.equal(row.login_failed_count, 5, 'the counter stops at 5');
    t.equal(row.status, 'locked');
    t.equal(await countAudit('login.locked', () => true, from, row.id), 1, 'exactly one lockout');
    t.comment(`wrong passwords recorded: ${await countAudit('login.failure', (d) => d['reason'] === 'wrong_password', from, row.id)} of ${PARALLEL}`);
    const right = await new HttpIbClient(b).login(user.loginId, user.password);
    t.not(right.statusCode, 303, 'the right password no longer logs in, on the other process either');
  });

  t.test('PIN lock: parallel wrong PINs from journeys on both processes get exactly 3 evaluations and one lock', async (t) => {
    const account = await accountByNumber(db, '1000088');
    const journeys: JourneyDriver[] = [];
    for (let i = 0; i < 10; i++) {
      const p = i % 2 === 0 ? a : b;
      const tc = await insertTestClient(db);
      const j = await startJourney(p.server, tc, { scope: 'openid offline_access balances' });
      if (!/\/interaction\/[A-Za-z0-9_-]+\//.test(j.b.html)) throw new Error(`no journey on ${p.url} (public ${p.server.issuer}): ${j.b.status} ${j.b.url} ${visibleText(j.b.html).slice(0, 600)}`);
      await login(j.b, USERS.user1);
      if (j.b.title !== TITLES.pin) throw new Error(`expected the PIN step, got ${j.b.status} ${j.b.url} ${visibleText(j.b.html).slice(0, 600)}`);
      journeys.push(j.b);
    }
    const from = since();
    await Promise.all(journeys.map((j, i) => j.post('pin', { account_id: account.id, pin: `90${String(i).padStart(2, '0')}` })));
    t.comment(`answers: ${JSON.stringify(journeys.map((j) => `${j.status} ${j.title} ${alertText(j.html) ?? ''}`))}`);
    const after = await accountByNumber(db, '1000088');
    t.equal(after.pin_failed_count, 3);
    t.not(after.pin_locked_at, null, 'locked');
    const ours = (d: Record<string, unknown>) => d['accountId'] === account.public_id;
    t.equal(await countAudit('pin.failure', (d) => ours(d) && d['reason'] === 'wrong_pin', from), 3, 'exactly 3 PINs were compared');
    t.equal(await countAudit('pin.locked', ours, from), 1, 'one lock event');
    t.equal(journeys.filter((j) => /ロックされています/.test(alertText(j.html) ?? '')).length, 8, 'the others are told it is locked');
  });

  t.test('メールトークン: 40 parallel wrong codes on both processes get exactly 5 evaluations', async (t) => {
    const master = new HttpIbClient(a);
    await master.login(MASTER.id, MASTER.pw);
    await master.get('/ib/business-id/groups/new');
    const proposal = await master.post('/ib/business-id/groups/new', { name: '並行トークン', approval: 'no' });
    t.equal(proposal.statusCode, 303);
    const path = proposal.location!;
    await master.get(path);
    const code = await mailToken(MASTER.mail);
    const wrong = code === '000000' ? '111111' : '000000';
    const from = since();
    const onB = master.on(b);
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => (i % 2 === 0 ? master : onB).post(path, { transactionPassword: MASTER.tx, mailToken: wrong })));
    const masterRow = await userByLogin(MASTER.id);
    t.equal(await countAudit('mail_token.failure', (d) => d['reason'] === 'wrong_code', from, masterRow.id), 5, 'exactly 5 codes were compared');
    t.equal(await countAudit('mail_token.failure', (d) => d['reason'] === 'attempts_used_up', from, masterRow.id), PARALLEL - 5, 'the rest were refused unread');
    t.ok(answers.every((r) => r.statusCode === 400), 'every answer is a 400 on the screen, none a 500');
    const late = await master.post(path, { transactionPassword: MASTER.tx, mailToken: code });
    t.equal(late.statusCode, 400, 'the right code after the limit is refused too');
    t.match(visibleText(late.body), '入力回数が上限（5回）に達したため');
    t.notOk(await db.selectFrom('groups').select('id').where('name', '=', '並行トークン').executeTakeFirst(), 'nothing was made');
  });

  t.test('認証番号: 40 parallel wrong codes on both processes get exactly 5 evaluations', async (t) => {
    const user = await userByLogin(USERS.user1.loginId);
    const { token, code } = await issueLoginReset(db, { userId: user.id, codeKey: deriveCodeKey(TEST_SECRETS.keyEncryptionKey) });
    await db.updateTable('users').set({ status: 'reset_pending' }).where('id', '=', user.id).execute();
    const url = `/ib/password-reset/${token}`;
    const clients = [new HttpIbClient(a), new HttpIbClient(b)];
    for (const c of clients) await c.get(url);
    const wrong = code === '000000' ? '111111' : '000000';
    const from = since();
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => clients[i % 2]!.post(url, { code: wrong, newPassword: 'Neue2pass2026', newPasswordConfirm: 'Neue2pass2026' })));
    t.equal(await countAudit('password.reset_code_failure', () => true, from, user.id), 5, 'exactly 5 codes were compared');
    const reset = await db.selectFrom('password_resets').select(['attempts', 'consumed_at']).where('user_id', '=', user.id).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    t.equal(reset.attempts, 5);
    t.ok(answers.every((r) => r.statusCode === 400 || r.statusCode === 410), 'every answer is a refusal on the screen, none a 500');
    const late = await clients[1]!.post(url, { code, newPassword: 'Neue2pass2026', newPasswordConfirm: 'Neue2pass2026' });
    t.equal(late.statusCode, 410, 'the right code after the limit is refused too');
    t.equal((await userByLogin(USERS.user1.loginId)).status, 'reset_pending', 'the password was not set');
  });

  /** Opens an edit, proposes `change(form)` and opens its confirmation (mailing the token); returns the confirmation path. */
  async function proposeEdit(t: Test, c: HttpIbClient, open: () => ReturnType<HttpIbClient['get']>, post: string, change: (form: Record<string, string>) => Record<string, string | string[]>) {
    const form = await open();
    t.equal(form.statusCode, 200, 'the edit form');
    const proposal = await c.post(post, change(shownForm(form.body)));
    if (proposal.statusCode !== 303) throw new Error(`not proposed: ${proposal.statusCode} ${visibleText(proposal.body).slice(0, 400)}`);
    await c.get(proposal.location!);
    return proposal.location!;
  }

  t.test('concurrent edits of one group on both processes: exactly one 完了, the other refused, no lost change', async (t) => {
    const master = new HttpIbClient(a);
    await master.login(MASTER.id, MASTER.pw);
    const admin = new HttpIbClient(b);
    await admin.login(ADMIN.id, ADMIN.pw);
    const group = await db.selectFrom('groups').select(['id', 'name', 'audit_log_view', 'version']).where('name', '=', '振込').executeTakeFirstOrThrow();
    const from = since();
    const open = (c: HttpIbClient) => () => c.get(`/ib/business-id/groups/edit?groupId=${group.id}`);
    const renamePath = await proposeEdit(t, master, open(master), '/ib/business-id/groups/edit', (f) => ({ ...f, name: '振込（改称）' }));
    const rightPath = await proposeEdit(t, admin, open(admin), '/ib/business-id/groups/edit', (f) => ({ ...f, auditLogView: group.audit_log_view ? 'no' : 'yes' }));
    const [renamed, righted] = await Promise.all([
      master.post(renamePath, { transactionPassword: MASTER.tx, mailToken: await mailToken(MASTER.mail) }),
      admin.post(rightPath, { transactionPassword: ADMIN.tx, mailToken: await mailToken(ADMIN.mail) }),
    ]);
    const statuses = [renamed.statusCode, righted.statusCode].sort();
    t.same(statuses, [200, 409], 'one 完了, one refusal');
    const refused = renamed.statusCode === 409 ? renamed : righted;
    t.match(visibleText(refused.body), '他の管理者がこの内容を変更しました。最新の内容を確認してください。');
    const now = await db.selectFrom('groups').select(['name', 'audit_log_view', 'version']).where('id', '=', group.id).executeTakeFirstOrThrow();
    if (renamed.statusCode === 200) t.match(now, { name: '振込（改称）', audit_log_view: group.audit_log_view }, 'the rename stands, untouched by the refused edit');
    else t.match(now, { name: '振込', audit_log_view: !group.audit_log_view }, 'the new right stands, untouched by the refused edit');
    t.equal(now.version, group.version + 1, 'exactly one write');
    t.equal(await countAudit('group.updated', (d) => d['groupId'] === group.id, from), 1, 'exactly one recorded change');
  });

  t.test('concurrent edits of one user on both processes: exactly one 完了, the other refused, no lost change', async (t) => {
    const master = new HttpIbClient(b);
    await master.login(MASTER.id, MASTER.pw);
    const admin = new HttpIbClient(a);
    await admin.login(ADMIN.id, ADMIN.pw);
    const target = await userByLogin(USERS.user1.loginId);
    const from = since();
    const open = (c: HttpIbClient) => async () => {
      await c.get('/ib/business-id/users?mode=edit');
      return c.post('/ib/business-id/users/edit', { userIds: [target.id] });
    };
    const fields = (f: Record<string, string>, changed: { name?: string; email?: string }) => ({
      userId: [target.id], version: [f['version']!], name: [changed.name ?? f['name']!], email: [changed.email ?? f['email']!], groupId: [target.group_id!], action: 'confirm',
    });
    const namePath = await proposeEdit(t, master, open(master), '/ib/business-id/users/edit/confirm', (f) => fields(f, { name: '佐藤 美咲（並行）' }));
    const mailPath = await proposeEdit(t, admin, open(admin), '/ib/business-id/users/edit/confirm', (f) => fields(f, { email: 'misaki.parallel@example.test' }));
    const [named, mailed] = await Promise.all([
      master.post(namePath, { transactionPassword: MASTER.tx, mailToken: await mailToken(MASTER.mail) }),
      admin.post(mailPath, { transactionPassword: ADMIN.tx, mailToken: await mailToken(ADMIN.mail) }),
    ]);
    t.same([named.statusCode, mailed.statusCode].sort(), [200, 409], 'one 完了, one refusal');
    const refused = named.statusCode === 409 ? named : mailed;
    t.match(visibleText(refused.body), '他の管理者がこの内容を変更しました。最新の内容を確認してください。');
    const now = await userByLogin(USERS.user1.loginId);
    if (named.statusCode === 200) t.match(now, { name: '佐藤 美咲（並行）', email: target.email });
    else t.match(now, { name: target.name, email: 'misaki.parallel@example.test' });
    t.equal(now.version, target.version + 1, 'exactly one write');
    t.equal(await countAudit('user.updated', () => true, from, target.id), 1, 'exactly one recorded change');
  });

  t.test('parallel 許可 of one interaction on both processes: exactly one grant', async (t) => {
    const tc = await insertTestClient(db);
    const j = await startJourney(a.server, tc, { scope: 'openid offline_access balances' });
    await login(j.b, USERS.hanako);
    await advanceToConsent(j.b);
    const other = new JourneyDriver(b.server);
    for (const [k, v] of j.b.jar) other.jar.set(k, v);
    other.html = j.b.html;
    await Promise.all([j.b.post('consent', { decision: 'allow', continue: 'on' }), other.post('consent', { decision: 'allow', continue: 'on' })]);
    const grants = await grantsOf(db, tc.clientId);
    const statuses = [j.b.status, other.status];
    t.ok(statuses.every((s) => s < 500), `no 500 (${statuses.join(', ')})`);
    t.equal(grants.length, 1, 'exactly one grant for one interaction', { todo: grants.length === 1 ? false : 'one claim per interaction is H4\'s fix' });
  });

  t.test('the child processes stayed up and logged no secret', async (t) => {
    for (const p of [a, b]) {
      t.notMatch(p.output(), /Torihiki2024|Aozora2024|User3pass2024/, `process ${p.pid}: no password in its log`);
      t.notMatch(p.output(), /"statusCode":5\d\d/, `process ${p.pid}: no 5xx answered`);
    }
  });
}
