import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { previousLoginAt } from '../audit/audit.repository.ts';
import { translate } from '../shared/i18n.ts';
import { jstDateTime, langOf, render, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { ACCOUNTS_TEXTS, accountLines } from './accounts.view-model.ts';
import { LangQuery } from './ib.schemas.ts';

/**
 * The home screen: 前回ログイン, the accounts the user may see (the same 照会 rule as the API) with their
 * balances, and the menu as cards.
 */
export const homeScreen: FastifyPluginAsyncTypebox<IbScreenOptions> = async function homeScreen(app, deps) {
  const { db } = deps;
  app.get('/ib/', { schema: { querystring: Type.Object(LangQuery) }, preHandler: requireSession(deps) }, async function showHome(request, reply) {
    const actor = request.ibActor!;
    const lang = langOf(request);
    const [accounts, previousLogin] = await Promise.all([accountLines(db, actor.id, lang), previousLoginAt(db, actor.id)]);
    return render(request, reply, 'ib/home', {
      t: translate(ACCOUNTS_TEXTS, lang), accounts, previousLogin: previousLogin ? jstDateTime(previousLogin) : undefined,
    });
  });
};
