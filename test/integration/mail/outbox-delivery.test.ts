import t from 'tap';
import { createMailer } from '../../../src/mail/mailer.ts';
import { enqueueMails } from '../../../src/mail/outbox.repository.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { startSmtpSink } from './smtp-sink.ts';

t.setTimeout(120_000);

const { db } = await createTestDatabase(t);
const rows = () => db.selectFrom('mail_outbox').select(['id', 'to_address', 'text_body', 'status', 'attempts', 'last_error']).orderBy('created_at').execute();

t.test('mail written with a change commits and rolls back with it', async (t) => {
  await db.transaction().execute(async (trx) => {
    await enqueueMails(trx, [{ to: 'a@example.test', subject: 's', text: 'kept' }]);
  });
  await t.rejects(db.transaction().execute(async (trx) => {
    await enqueueMails(trx, [{ to: 'b@example.test', subject: 's', text: 'rolled back' }]);
    throw new Error('the change failed');
  }));
  t.same((await rows()).map((r) => [r.to_address, r.status]), [['a@example.test', 'stored']]);
  t.same(await enqueueMails(db, []), [], 'nothing to write');
});

t.test('over SMTP, stored mail is handed over after the commit (leftovers of a crash included), then not kept', async (t) => {
  const smtp = await startSmtpSink(t);
  const mailer = createMailer({ smtpUrl: smtp.url, from: 'no-reply@renkei.test', db, logger: createLogger('silent') });
  t.teardown(() => mailer.close());
  // The row of the first subtest stands for a process that crashed between its commit and the delivery.
  const [fresh] = await enqueueMails(db, [{ to: 'c@example.test', subject: '仮パスワード', text: '仮ログインパスワード: abc123XYZ789' }]);
  const failed = await mailer.deliverStored();
  t.same([...failed], []);
  t.same(smtp.mails.map((m) => m.to).flat().sort(), ['a@example.test', 'c@example.test'], 'both delivered');
  t.match(smtp.mails.find((m) => m.to.includes('c@example.test'))!.text, 'abc123XYZ789');
  t.same(await rows(), [], 'delivered mail (codes, temporary passwords) is not kept');
  t.ok(fresh);
});

t.test('an SMTP refusal marks the mail failed, without its body, and names it to the caller', async (t) => {
  const smtp = await startSmtpSink(t);
  const mailer = createMailer({ smtpUrl: smtp.url, from: 'no-reply@renkei.test', db, logger: createLogger('silent') });
  t.teardown(() => mailer.close());
  const [id] = await enqueueMails(db, [{ to: 'd@example.test', subject: 's', text: 'secret 246810' }]);
  smtp.failNext(1);
  const failed = await mailer.deliverStored();
  t.same([...failed], [id]);
  t.same((await rows()).map((r) => ({ status: r.status, text_body: r.text_body, attempts: r.attempts, last_error: r.last_error })),
    [{ status: 'failed', text_body: '', attempts: 1, last_error: 'mail_unavailable' }]);
  t.same([...(await mailer.deliverStored())], [], 'a failed mail is not tried again (the screen asks for a new reset)');
  t.equal(smtp.mails.length, 0);
  await db.deleteFrom('mail_outbox').execute();
});

t.test('without SMTP the outbox is the mailbox: delivery leaves the rows', async (t) => {
  const mailer = createMailer({ smtpUrl: undefined, from: 'x@y.test', db, logger: createLogger('silent') });
  await enqueueMails(db, [{ to: 'e@example.test', subject: 's', text: 'b' }]);
  t.same([...(await mailer.deliverStored())], []);
  t.same((await rows()).map((r) => [r.to_address, r.status, r.text_body]), [['e@example.test', 'stored', 'b']]);
  mailer.close();
});
