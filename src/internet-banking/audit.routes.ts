import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditEventName, describeDetails } from '../audit/audit-event-texts.ts';
import { clientNames, groupNames, listAuditUsers, searchAuditEvents } from '../audit/audit.repository.ts';
import { defineTexts, translate, type Lang } from '../shared/i18n.ts';
import { inputRefusal, jstDateTime, langOf, render, requireRight, requireSession, stringField, type IbScreenOptions } from './ib-pages.ts';
import { LangQuery } from './ib.schemas.ts';

const AUDIT_TEXTS = defineTexts({
  title: { ja: 'ログイン・操作履歴', en: 'Login and activity history' },
  user: { ja: 'ユーザー', en: 'User' },
  all: { ja: 'すべて表示', en: 'All' },
  from: { ja: '開始日', en: 'From' },
  to: { ja: '終了日', en: 'To' },
  dayFormat: { ja: '例: 2026-11-20', en: 'e.g. 2026-11-20' },
  show: { ja: '表示', en: 'Show' },
  nothing: { ja: '表示対象がありません', en: 'Nothing to show' },
  when: { ja: '日時', en: 'When' },
  event: { ja: '操作', en: 'Event' },
  outcome: { ja: '結果', en: 'Outcome' },
  actor: { ja: '操作者', en: 'By' },
  subject: { ja: '対象', en: 'About' },
  details: { ja: '内容', en: 'Details' },
  success: { ja: '成功', en: 'Success' },
  failure: { ja: '失敗', en: 'Failure' },
  older: { ja: '次へ（過去の履歴）', en: 'Older' },
  newest: { ja: '最新の履歴へ', en: 'Newest' },
  badDay: { ja: '日付はカレンダーにある日を yyyy-mm-dd で入力してください。', en: 'Enter a real calendar date as yyyy-mm-dd.' },
});

/** A day as typed (empty when not chosen); a real calendar date (2026-02-30 is not), as yyyy-mm-dd. */
const Day = Type.Union([Type.Literal(''), Type.String({ format: 'date', pattern: '^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$' })]);

const AuditQuery = Type.Object({
  ...LangQuery,
  user: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'uuid' })])),
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,18}$' })),
});

type AuditRow = Awaited<ReturnType<typeof searchAuditEvents>>['events'][number];

/** Each event as the screen shows it: JST time, the type in words, names instead of ids, readable details. */
async function eventLines(deps: IbScreenOptions, customerId: string, rows: AuditRow[], names: Map<string, string>, lang: Lang) {
  const clientIds = rows.flatMap((r) => (typeof r.details['clientId'] === 'string' ? [r.details['clientId']] : []));
  const [clients, groups] = await Promise.all([clientNames(deps.db, [...new Set(clientIds)]), groupNames(deps.db, customerId)]);
  const look = { formatTime: jstDateTime, clientName: (id: string) => clients.get(id), groupName: (id: string) => groups.get(id) };
  return rows.map((e) => ({
    id: e.id, when: jstDateTime(new Date(e.occurred_at)), name: auditEventName(e.type, lang), outcome: e.outcome,
    actor: (e.actor_user_id && names.get(e.actor_user_id)) || e.actor_login_id || '-',
    subject: (e.subject_user_id && names.get(e.subject_user_id)) || '-',
    details: describeDetails(e.details, lang, look),
  }));
}

/** The query of a page link: the filter as chosen, plus where to continue. */
function pageQuery(filter: { user: string; from: string; to: string }, before?: string): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  if (before) q.set('before', before);
  const s = q.toString();
  return s ? `?${s}` : '';
}

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
      const field = request.validationError.validation[0]?.instancePath.split('/')[1];
      const error = field === 'from' || field === 'to'
        ? `${inputRefusal(request.validationError, AUDIT_TEXTS).localized(lang)}${lang === 'ja' ? '' : ' '}${t.badDay}`
        : inputRefusal(request.validationError, AUDIT_TEXTS).localized(lang);
      return render(request, reply, 'ib/audit', { t, users, events: [], filter, error }, 400);
    }
    const q = request.query;
    const userId = users.some((u) => u.id === q.user) ? q.user : undefined;
    const filter = { user: userId ?? '', from: q.from ?? '', to: q.to ?? '' };
    const page = await searchAuditEvents(db, { customerId: actor.customerId, userId, from: q.from || undefined, to: q.to || undefined, before: q.before });
    return render(request, reply, 'ib/audit', {
      t, users, filter, events: await eventLines(deps, actor.customerId, page.events, names, lang),
      olderLink: page.olderThan ? `/ib/audit${pageQuery(filter, page.olderThan)}` : undefined,
      newestLink: q.before ? `/ib/audit${pageQuery(filter)}` : undefined,
    });
  });
};
