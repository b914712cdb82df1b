import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { pickLang } from '../shared/lang.ts';

/**
 * `/dev/mailbox` (DESIGN §10, §12): the newest 100 mails of `mail_outbox`, for demos without an SMTP
 * server. Registered only when DEV_MAILBOX is on; it shows one-time codes, so never in production.
 */
export const mailboxRoutes: FastifyPluginAsync<{ db: Kysely<Database> }> = async function mailboxRoutes(app, opts) {
  app.get('/dev/mailbox', async (request, reply) => {
    const lang = pickLang(request.headers, (request.query as { lang?: string }).lang);
    const mails = await opts.db
      .selectFrom('mail_outbox')
      .select(['id', 'to_address', 'subject', 'text_body', 'created_at'])
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(100)
      .execute();
    reply.header('cache-control', 'no-store');
    return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('mail/mailbox', { lang, mails }));
  });
};
