import type { Db } from '../db/transaction.ts';
import type { MailMessage } from './mailer.ts';

/** How many mails the development mailbox shows, newest first. */
export const MAILBOX_PAGE_SIZE = 100;

/**
 * Writes mails to `mail_outbox` in the caller's transaction, beside the change they announce: they commit
 * (or roll back) together, so a user is never created without the mail carrying their temporary password.
 * Without SMTP the row is the delivered mail (the development mailbox); with SMTP the mailer hands it over
 * after the commit ({@link Mailer.deliverStored}).
 * @returns the new rows' ids
 */
export async function enqueueMails(db: Db, messages: MailMessage[]): Promise<string[]> {
  if (messages.length === 0) return [];
  const rows = await db
    .insertInto('mail_outbox')
    .values(messages.map((m) => ({ to_address: m.to, subject: m.subject, text_body: m.text })))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** The newest mails stored instead of sent (no SMTP_URL), for the development mailbox. */
export function listOutbox(db: Db) {
  return db
    .selectFrom('mail_outbox')
    .select(['id', 'to_address', 'subject', 'text_body', 'created_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(MAILBOX_PAGE_SIZE)
    .execute();
}
