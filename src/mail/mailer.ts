import nodemailer from 'nodemailer';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends one plain-text mail; throws `mail_unavailable` (503) when it cannot be handed over. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /**
   * Hands over the mails a committed change wrote to `mail_outbox` (enqueueMails), including any an
   * earlier process left there (a crash between commit and delivery). Over SMTP a delivered row is deleted
   * and a refused one kept as `failed` without its body (it carries codes or temporary passwords); in the
   * outbox the rows are the delivered mail and stay. Never throws for a refusal.
   * @returns the ids of the rows that could not be delivered
   */
  deliverStored(): Promise<Set<string>>;
  /** 'smtp' when SMTP_URL is set, otherwise 'outbox' (rows in mail_outbox, shown at /dev/mailbox). */
  readonly kind: 'smtp' | 'outbox';
  close(): void;
}

/**
 * DESIGN §10: nodemailer over SMTP when `SMTP_URL` is set; otherwise mail is stored in `mail_outbox`
 * for the development mailbox. Mail bodies carry one-time codes and temporary passwords, so they are
 * never logged: a failure is logged with the recipient's domain only.
 */
export function createMailer(opts: { smtpUrl: string | undefined; from: string; db: Kysely<Database>; logger: Logger }): Mailer {
  if (opts.smtpUrl) {
    const transport = nodemailer.createTransport(opts.smtpUrl);
    const send = async (m: MailMessage) => {
      try {
        await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text });
      } catch (err) {
        opts.logger.error({ code: (err as { code?: unknown }).code, toDomain: m.to.split('@')[1] }, 'mail could not be sent');
        throw new AppError(503, 'mail_unavailable', { cause: err });
      }
    };
    return {
      kind: 'smtp',
      send,
      async deliverStored() {
        const failed = new Set<string>();
        for (;;) {
          // One row at a time under its row lock; SKIP LOCKED lets another request or process deliver the rest.
          const done = await opts.db.transaction().execute(async (trx) => {
            const row = await trx.selectFrom('mail_outbox').select(['id', 'to_address', 'subject', 'text_body'])
              .where('status', '=', 'stored').orderBy('created_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
            if (!row) return true;
            try {
              await send({ to: row.to_address, subject: row.subject, text: row.text_body });
              await trx.deleteFrom('mail_outbox').where('id', '=', row.id).execute();
            } catch (err) {
              failed.add(row.id);
              const code = err instanceof AppError ? err.code : 'mail_unavailable';
              await trx.updateTable('mail_outbox').set((eb) => ({ status: 'failed', text_body: '', last_error: code, attempts: eb('attempts', '+', 1) }))
                .where('id', '=', row.id).execute();
            }
            return false;
          });
          if (done) return failed;
        }
      },
      close: () => transport.close(),
    };
  }
  return {
    kind: 'outbox',
    deliverStored: async () => new Set<string>(),
    async send(m) {
      await opts.db.insertInto('mail_outbox').values({ to_address: m.to, subject: m.subject, text_body: m.text }).execute();
    },
    close: () => {},
  };
}
