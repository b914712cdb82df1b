import type { Db } from '../db/transaction.ts';

/** How many mails the development mailbox shows, newest first. */
export const MAILBOX_PAGE_SIZE = 100;

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
