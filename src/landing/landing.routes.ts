import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pickLang } from '../shared/lang.ts';

/** A link on the landing page; labels are the contract's (DESIGN §12). */
export interface LandingLink {
  href: string;
  label: { ja: string; en: string };
  description: { ja: string; en: string };
}

export interface LandingOptions {
  links: LandingLink[];
  publicUrl: string;
}

/** `/`: the bank's front page, linking to every surface this deployment serves. */
export const landingRoutes: FastifyPluginAsyncTypebox<LandingOptions> = async function landingRoutes(app, opts) {
  app.get('/', {
    schema: {
      querystring: Type.Object({ lang: Type.Optional(Type.Union([Type.Literal('ja'), Type.Literal('en')])) }),
    },
  }, async (request, reply) => {
    const lang = pickLang(request.headers, request.query.lang);
    const html = await reply.viewAsync('landing', { lang, links: opts.links, publicUrl: opts.publicUrl });
    return reply.type('text/html; charset=utf-8').send(html);
  });
};
