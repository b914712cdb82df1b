import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { defineTexts, LANG_COOKIE, pickLang, translate } from '../shared/i18n.ts';
import { listOutbox, MAILBOX_PAGE_SIZE } from '../mail/outbox.repository.ts';

const MAILBOX_TEXTS = defineTexts({
  title: { ja: '開発用メールボックス', en: 'Development mailbox' },
  lead: {
    ja: `SMTP_URL 未設定のため送信せず保存したメールです（新しい順、最大${MAILBOX_PAGE_SIZE}通）。`,
    en: `Mail renkei would have sent (SMTP_URL is not set). Newest first, at most ${MAILBOX_PAGE_SIZE}.`,
  },
  empty: { ja: 'メールはまだありません。', en: 'No mail yet.' },
});

/**
 * `/dev/mailbox` (DESIGN §10, §12): the newest mails of `mail_outbox`, for demos without an SMTP
 * server. Registered only when DEV_MAILBOX is on; it shows one-time codes, so never in production.
 */
export const mailboxRoutes: FastifyPluginAsyncTypebox<{ db: Kysely<Database> }> = async function mailboxRoutes(app, opts) {
  app.get('/dev/mailbox', {
    schema: { querystring: Type.Object({ lang: Type.Optional(Type.String({ maxLength: 16 })) }) },
  }, async function showMailbox(request, reply) {
    const lang = pickLang(request.headers, request.query.lang ?? request.cookies[LANG_COOKIE]);
    const mails = await listOutbox(opts.db);
    reply.header('cache-control', 'no-store');
    return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('mail/mailbox', { lang, t: translate(MAILBOX_TEXTS, lang), mails }));
  });
};
