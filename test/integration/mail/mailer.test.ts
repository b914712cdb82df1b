import t from 'tap';
import { createMailer } from '../../../src/mail/mailer.ts';
import { listOutbox, MAILBOX_PAGE_SIZE } from '../../../src/mail/outbox.repository.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { buildTestApp, memoryLogSink } from '../../helpers/build-app.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { startSmtpSink } from './smtp-sink.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const database = await createTestDatabase(t);
const { db } = database;

t.test('with SMTP_URL, mail goes over a real SMTP conversation and is not stored', async (t) => {
  const smtp = await startSmtpSink(t);
  const mailer = createMailer({ smtpUrl: smtp.url, from: 'renkei <no-reply@renkei.test>', db, logger: createLogger('silent') });
  t.teardown(() => mailer.close());
  t.equal(mailer.kind, 'smtp');
  await mailer.send({ to: 'taro@example.test', subject: '【れんけい銀行】メールトークンのお知らせ', text: 'メールトークン: 123456\n' });
  t.equal(smtp.mails.length, 1);
  t.same(smtp.mails[0]!.to, ['taro@example.test']);
  t.equal(smtp.mails[0]!.from, 'no-reply@renkei.test');
  t.equal(smtp.mails[0]!.subject, '【れんけい銀行】メールトークンのお知らせ');
  t.match(smtp.mails[0]!.text, /メールトークン: 123456/);
  const stored = await db.selectFrom('mail_outbox').selectAll().execute();
  t.equal(stored.length, 0, 'nothing secret kept in the database');
});

t.test('an SMTP refusal is a 503 mail_unavailable, logged without the body or the full address', async (t) => {
  const smtp = await startSmtpSink(t);
  smtp.failNext(1);
  const sink = memoryLogSink();
  const mailer = createMailer({ smtpUrl: smtp.url, from: 'no-reply@renkei.test', db, logger: createLogger('info', sink.stream) });
  t.teardown(() => mailer.close());
  await t.rejects(mailer.send({ to: 'hanako@example.test', subject: 's', text: 'secret 654321' }), { status: 503, code: 'mail_unavailable' });
  const logs = sink.lines().join('\n');
  t.notMatch(logs, /654321/);
  t.notMatch(logs, /hanako@/);
  t.match(logs, /example\.test/);
});

t.test('without SMTP_URL, mail is stored in mail_outbox', async (t) => {
  const mailer = createMailer({ smtpUrl: undefined, from: 'x@y.test', db, logger: createLogger('silent') });
  t.equal(mailer.kind, 'outbox');
  await mailer.send({ to: 'jiro@example.test', subject: '件名', text: '本文' });
  mailer.close();
  const rows = await db.selectFrom('mail_outbox').select(['to_address', 'subject', 'text_body', 'status']).execute();
  t.same(rows, [{ to_address: 'jiro@example.test', subject: '件名', text_body: '本文', status: 'stored' }]);
});

t.test('the outbox lists the newest mails first, at most a page of them', async (t) => {
  await db.deleteFrom('mail_outbox').execute();
  const base = Date.now() - 60_000;
  await db.insertInto('mail_outbox').values(Array.from({ length: MAILBOX_PAGE_SIZE + 2 }, (_, i) => ({
    to_address: `u${i}@example.test`, subject: `s${i}`, text_body: 'b', created_at: new Date(base + i * 100),
  }))).execute();
  const mails = await listOutbox(db);
  t.equal(mails.length, MAILBOX_PAGE_SIZE);
  t.equal(mails[0]!.subject, `s${MAILBOX_PAGE_SIZE + 1}`, 'newest first');
  await db.deleteFrom('mail_outbox').execute();
});

t.test('/dev/mailbox shows the outbox only when DEV_MAILBOX is on', async (t) => {
  const off = await buildTestApp(t, { database, env: { DEV_MAILBOX: 'false' } });
  t.equal((await off.app.inject({ url: '/dev/mailbox' })).statusCode, 404);
  const landingOff = await off.app.inject({ url: '/' });
  t.notMatch(landingOff.body, /開発用メールボックス/);

  const on = await buildTestApp(t, { database, env: { DEV_MAILBOX: 'true' } });
  await on.database.db.insertInto('mail_outbox').values({ to_address: 'a@example.test', subject: '<b>件名</b>', text_body: 'コード 111111' }).execute();
  const res = await on.app.inject({ url: '/dev/mailbox', headers: { accept: 'text/html' } });
  t.equal(res.statusCode, 200);
  t.match(res.body, /開発用メールボックス/);
  t.match(res.body, /&lt;b&gt;件名&lt;\/b&gt;/, 'escaped');
  t.match(res.body, /コード 111111/);
  t.equal(res.headers['cache-control'], 'no-store');
  const landing = await on.app.inject({ url: '/' });
  t.match(landing.body, /href="\/dev\/mailbox"/);
  t.match(landing.body, /インターネットバンキング ログイン/);
  const en = await on.app.inject({ url: '/dev/mailbox?lang=en' });
  t.match(en.body, /Development mailbox/);
  t.match(en.body, /No mail yet|Newest first/);
  t.equal((await on.app.inject({ url: `/dev/mailbox?lang=${'x'.repeat(40)}`, headers: { accept: 'text/html' } })).statusCode, 400, 'a malformed query is refused by the schema');
});
