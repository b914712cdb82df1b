import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { defineTexts, LANG_COOKIE, pickLang, translate, type Text } from '../shared/i18n.ts';

/** A link on the landing page; labels are the contract's (DESIGN §12). */
export interface LandingLink {
  href: string;
  label: Text;
  description: Text;
}

export interface LandingOptions {
  links: LandingLink[];
  publicUrl: string;
}

const LANDING_TEXTS = defineTexts({
  title: { ja: 'ようこそ', en: 'Welcome' },
  heading: { ja: 'renkei — 銀行のためのAPI連携基盤', en: 'renkei — open banking for your bank' },
  lead: {
    ja: 'お客さまは API連携認証 で家計簿・会計アプリと口座を安全に連携でき、法人の管理者さまは ビジネスID管理 で'
      + 'ユーザーと権限を管理できます。API連携先はAPIで残高・明細を取得し、お客さまの承認を受けて振込を依頼します。',
    en: 'Account holders connect bookkeeping and household-budget apps to their accounts through API連携認証, '
      + 'corporate administrators manage users and rights with ビジネスID管理, and partners read balances and '
      + 'statements through the API and request transfers that the holder approves.',
  },
  status: { ja: 'システム状態', en: 'System status' },
  readiness: { ja: '稼働確認', en: 'Readiness check' },
});

/** `/`: the bank's front page, linking to every surface this deployment serves. */
export const landingRoutes: FastifyPluginAsyncTypebox<LandingOptions> = async function landingRoutes(app, opts) {
  // The links' labels are the contract's Japanese names in both languages; their descriptions are translated.
  const links = opts.links.map((link) => ({ href: link.href, label: link.label.ja, texts: defineTexts({ description: link.description }) }));

  app.get('/', {
    schema: {
      querystring: Type.Object({ lang: Type.Optional(Type.Union([Type.Literal('ja'), Type.Literal('en')])) }),
    },
  }, async function showLanding(request, reply) {
    const lang = pickLang(request.headers, request.query.lang ?? request.cookies[LANG_COOKIE]);
    const html = await reply.viewAsync('landing', {
      lang, t: translate(LANDING_TEXTS, lang), publicUrl: opts.publicUrl,
      links: links.map((link) => ({ href: link.href, label: link.label, description: translate(link.texts, lang).description })),
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });
};
