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
    return {
      kind: 'smtp',
      async send(m) {
        try {
          await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text });
        } catch (err) {
          opts.logger.error({ code: (err as { code?: unknown }).code, toDomain: m.to.split('@')[1] }, 'mail could not be sent');
          throw new AppError(503, 'mail_unavailable', { cause: err });
        }
      },
      close: () => transport.close(),
    };
  }
  return {
    kind: 'outbox',
    async send(m) {
      await opts.db.insertInto('mail_outbox').values({ to_address: m.to, subject: m.subject, text_body: m.text }).execute();
    },
    close: () => {},
  };
}
