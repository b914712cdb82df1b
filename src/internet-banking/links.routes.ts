import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ACCOUNT_TYPE_NAMES } from '../accounts/account-types.ts';
import { LINK_ENDINGS } from '../audit/audit-event-texts.ts';
import type { Actor } from '../business-id/actor.ts';
import { endableLink, endLink, linksOf, type LinkViewer } from '../partners/links.service.ts';
import type { LinkRow } from '../partners/links.repository.ts';
import { jstParts } from '../shared/jst.ts';
import { defineTexts, translate, type Lang } from '../shared/i18n.ts';
import { BUSINESS_SCOPE_NAMES } from '../shared/scopes.ts';
import { jstDateTime, langOf, render, requestContext, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { CsrfField, LangQuery } from './ib.schemas.ts';

/** The words of DESIGN §15's screens; the Japanese labels are the contract's. */
const LINKS_TEXTS = defineTexts({
  title: { ja: 'API連携サービスの利用状況', en: 'Connected apps' },
  lead: {
    ja: 'お客さまの口座情報へのアクセスを許可しているAPI連携サービスです。連携解除すると、そのサービスは直ちに口座情報を参照できなくなります。',
    en: 'These services may read your account information. Ending a link stops the service from reading it at once.',
  },
  leadAll: { ja: '管理者として、すべてのユーザーの連携を表示しています。', en: 'As an administrator you see every user\'s links.' },
  active: { ja: '利用中の連携', en: 'Active links' },
  none: { ja: '利用中の連携はありません。', en: 'No active links.' },
  user: { ja: 'ユーザー', en: 'User' },
  service: { ja: '連携先サービス名', en: 'Service' },
  company: { ja: '提供会社名', en: 'Provided by' },
  business: { ja: '利用業務', en: 'Uses' },
  accounts: { ja: '対象口座', en: 'Accounts' },
  start: { ja: '連携開始日', en: 'Linked on' },
  expiry: { ja: '有効期限', en: 'Valid until' },
  lastUsed: { ja: '最終利用日時', en: 'Last used' },
  neverUsed: { ja: '未利用', en: 'Not used yet' },
  end: { ja: '連携解除', en: 'End link' },
  ended: { ja: '終了した連携', en: 'Ended links' },
  endedNote: { ja: '過去1年間に終了した連携を表示しています。', en: 'Links that ended within the last year.' },
  noneEnded: { ja: '終了した連携はありません。', en: 'No ended links.' },
  endedAt: { ja: '終了日時', en: 'Ended at' },
  endedBy: { ja: '終了理由', en: 'Ended by' },
  confirmTitle: { ja: '連携解除の確認', en: 'Confirm ending the link' },
  confirmText: {
    ja: '以下の連携を解除します。解除すると、このサービスは直ちに口座情報を参照できなくなります。再度利用するには、サービスから改めてAPI連携認証を行ってください。',
    en: 'This link will end. The service will no longer read your account information; to use it again, link it again from the service.',
  },
  confirm: { ja: '解除する', en: 'End link' },
  back: { ja: '戻る', en: 'Back' },
  doneTitle: { ja: '連携解除完了', en: 'Link ended' },
  doneText: { ja: '以下の連携を解除しました。', en: 'This link has ended.' },
  toList: { ja: 'API連携サービスの利用状況へ', en: 'Back to connected apps' },
});

const GrantParams = Type.Object({ grantId: Type.String({ format: 'uuid' }) });
const PageQuery = Type.Object(LangQuery);
const EndBody = Type.Object(CsrfField);

/** The master user and users with グループ・ユーザー権限設定 see and end every link of their customer. */
function viewerOf(actor: Actor): LinkViewer {
  return { userId: actor.id, customerId: actor.customerId, seesCustomer: actor.customerKind === 'corporate' && actor.rights.userAdmin };
}

function jstDay(at: Date): string {
  const p = jstParts(at);
  return `${p.year}/${p.month}/${p.day}`;
}

function jstMinute(at: Date): string {
  const p = jstParts(at);
  return `${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute}`;
}

/** A link as the screens show it: names in words, dates in Japan time. */
function lineOf(link: LinkRow, lang: Lang) {
  const business = translate(BUSINESS_SCOPE_NAMES, lang);
  const types = translate(ACCOUNT_TYPE_NAMES, lang);
  return {
    id: link.grantId,
    userId: link.userId,
    loginId: link.loginId,
    user: `${link.userName}（${link.loginId}）`,
    service: link.serviceName,
    company: link.companyName,
    business: link.scopes.filter((s): s is keyof typeof business => Object.hasOwn(business, s)).map((s) => business[s]),
    // The type and number never part: the line may break only after the branch.
    accounts: link.accounts.map((a) => `${a.branchName} ${types[a.accountTypeCode]}\u00a0${a.accountNumber}`),
    start: jstDay(link.grantedAt),
    expiry: jstMinute(link.expiresAt),
    lastUsed: link.lastUsedAt ? jstDateTime(link.lastUsedAt) : undefined,
    endedAt: link.endedAt ? jstDateTime(link.endedAt) : undefined,
    endedBy: link.endedBy ? translate(LINK_ENDINGS, lang)[link.endedBy] : undefined,
  };
}

/**
 * API連携サービスの利用状況 (DESIGN §15): the links, 連携解除 → 連携解除の確認 → 解除する → done. No 取引パスワード:
 * ending a link only takes access away, and the confirmation screen guards against a slip.
 */
export const linksScreens: FastifyPluginAsyncTypebox<IbScreenOptions> = async function linksScreens(app, deps) {
  const { db } = deps;
  const preHandler = requireSession(deps);

  app.get('/ib/links', { schema: { querystring: PageQuery }, preHandler }, async function showLinks(request, reply) {
    const actor = request.ibActor!;
    const lang = langOf(request);
    const viewer = viewerOf(actor);
    const links = await linksOf(db, viewer);
    // An administrator reads the links user by user (by login ID), each user's newest first.
    const order = (lines: ReturnType<typeof lineOf>[]) => (viewer.seesCustomer ? lines.sort((a, b) => a.loginId.localeCompare(b.loginId)) : lines);
    return render(request, reply, 'ib/links', {
      t: translate(LINKS_TEXTS, lang), showUser: viewer.seesCustomer,
      active: order(links.active.map((l) => lineOf(l, lang))), ended: order(links.ended.map((l) => lineOf(l, lang))),
    });
  });

  app.get('/ib/links/:grantId/end', { schema: { params: GrantParams, querystring: PageQuery }, preHandler }, async function confirmEnd(request, reply) {
    const actor = request.ibActor!;
    const lang = langOf(request);
    const viewer = viewerOf(actor);
    const link = await endableLink(db, viewer, request.params.grantId);
    return render(request, reply, 'ib/links-confirm', { t: translate(LINKS_TEXTS, lang), showUser: viewer.seesCustomer, link: lineOf(link, lang) });
  });

  app.post('/ib/links/:grantId/end', { schema: { params: GrantParams, body: EndBody }, preHandler: [preHandler, deps.verifyForm] }, async function endIt(request, reply) {
    await endLink(db, viewerOf(request.ibActor!), request.params.grantId, requestContext(request));
    return reply.redirect(`/ib/links/${request.params.grantId}/ended`, 303);
  });

  app.get('/ib/links/:grantId/ended', { schema: { params: GrantParams, querystring: PageQuery }, preHandler }, async function showEnded(request, reply) {
    const actor = request.ibActor!;
    const lang = langOf(request);
    const viewer = viewerOf(actor);
    const link = (await linksOf(db, viewer)).ended.find((l) => l.grantId === request.params.grantId);
    if (!link) return reply.redirect('/ib/links', 303);
    return render(request, reply, 'ib/links-done', { t: translate(LINKS_TEXTS, lang), showUser: viewer.seesCustomer, link: lineOf(link, lang) });
  });
};
