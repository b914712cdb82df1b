import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listAuditUsers, searchAuditEvents } from '../audit/audit.repository.ts';
import { defineTexts, translate } from '../shared/i18n.ts';
import { inputRefusal, langOf, render, requireRight, requireSession, stringField, type IbScreenOptions } from './ib-pages.ts';
import { LangQuery } from './ib.schemas.ts';

const AUDIT_TEXTS = defineTexts({
  title: { ja: 'ログイン・操作履歴', en: 'ログイン・操作履歴' },
  user: { ja: 'ユーザー', en: 'User' },
  all: { ja: 'すべて表示', en: 'All' },
  from: { ja: '開始日', en: 'From' },
  to: { ja: '終了日', en: 'To' },
  show: { ja: '表示', en: 'Show' },
  nothing: { ja: '表示対象がありません', en: 'Nothing to show' },
  when: { ja: '日時', en: 'When' },
  event: { ja: '操作', en: 'Event' },
  outcome: { ja: '結果', en: 'Outcome' },
  actor: { ja: '操作者', en: 'By' },
  subject: { ja: '対象', en: 'About' },
  details: { ja: '内容', en: 'Details' },
  success: { ja: '成功', en: 'success' },
  failure: { ja: '失敗', en: 'failure' },
});

/** A day as `<input type="date">` sends it (empty when not chosen); a real calendar date (2026-02-30 is not). */
const Day = Type.Union([Type.Literal(''), Type.String({ format: 'date', pattern: '^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$' })]);

const AuditQuery = Type.Object({
  ...LangQuery,
  user: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'uuid' })])),
  from: Type.Optional(Day),
  to: Type.Optional(Day),
});

/** ログイン・操作履歴: the customer's audit events, by user and by date (JST), for those with the right. */
export const auditScreen: FastifyPluginAsyncTypebox<IbScreenOptions> = async function auditScreen(app, deps) {
  const { db } = deps;
  const preHandler = [requireSession(deps), requireRight((a) => a.rights.auditLogView)];

  app.get('/ib/audit', { schema: { querystring: AuditQuery }, attachValidation: true, preHandler }, async function showAudit(request, reply) {
    const actor = request.ibActor!;
    const lang = langOf(request);
    const t = translate(AUDIT_TEXTS, lang);
    const users = await listAuditUsers(db, actor.customerId);
    const names = new Map(users.map((u) => [u.id, `${u.name}（${u.login_id}）`]));
    if (request.validationError) {
      const filter = { user: '', from: stringField(request.query, 'from') ?? '', to: stringField(request.query, 'to') ?? '' };
      const error = inputRefusal(request.validationError, AUDIT_TEXTS).localized(lang);
      return render(request, reply, 'ib/audit', { t, users, names, events: [], filter, error }, 400);
    }
    const q = request.query;
    const userId = users.some((u) => u.id === q.user) ? q.user : undefined;
    const events = await searchAuditEvents(db, { customerId: actor.customerId, userId, from: q.from || undefined, to: q.to || undefined });
    return render(request, reply, 'ib/audit', { t, users, names, events, filter: { user: userId ?? '', from: q.from ?? '', to: q.to ?? '' } });
  });
};
