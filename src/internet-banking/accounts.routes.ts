import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { statementPage } from '../accounts/accounts.repository.ts';
import { formatAmount } from '../accounts/account-types.ts';
import { AppError } from '../shared/errors.ts';
import { translate } from '../shared/i18n.ts';
import { jstDateTime, langOf, render, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { ACCOUNTS_TEXTS, visibleAccountLine } from './accounts.view-model.ts';
import { LangQuery } from './ib.schemas.ts';

/** An account's public id: 支店番号 (3) + 科目 (2) + 口座番号 (7). */
const AccountParams = Type.Object({ publicId: Type.String({ pattern: '^[0-9]{12}$' }) });
const StatementQuery = Type.Object({ ...LangQuery, before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,17}$' })) });

/** 残高照会 and 入出金明細 of one account, for users who may see it (the API's 照会 rule); others get 404. */
export const accountScreens: FastifyPluginAsyncTypebox<IbScreenOptions> = async function accountScreens(app, deps) {
  const { db } = deps;
  const preHandler = requireSession(deps);

  async function accountOr404(userId: string, publicId: string, lang: 'ja' | 'en') {
    const found = await visibleAccountLine(db, userId, publicId, lang);
    if (!found) throw new AppError(404, 'not_found');
    return found;
  }

  app.get('/ib/accounts/:publicId', {
    schema: { params: AccountParams, querystring: Type.Object(LangQuery) }, preHandler,
  }, async function showBalance(request, reply) {
    const lang = langOf(request);
    const { line } = await accountOr404(request.ibActor!.id, request.params.publicId, lang);
    return render(request, reply, 'ib/account-balance', { t: translate(ACCOUNTS_TEXTS, lang), account: line, asOf: jstDateTime(new Date()) });
  });

  app.get('/ib/accounts/:publicId/statements', {
    schema: { params: AccountParams, querystring: StatementQuery }, preHandler,
  }, async function showStatement(request, reply) {
    const lang = langOf(request);
    const { id, line } = await accountOr404(request.ibActor!.id, request.params.publicId, lang);
    const page = await statementPage(db, id, { before: request.query.before });
    const rows = page.rows.map((r) => ({
      ...r, amount: formatAmount(r.amount, line.currency, lang), balanceAfter: formatAmount(r.balanceAfter, line.currency, lang),
      transactionDate: r.transactionDate.replaceAll('-', '/'), valueDate: r.valueDate.replaceAll('-', '/'),
    }));
    return render(request, reply, 'ib/account-statement', {
      t: translate(ACCOUNTS_TEXTS, lang), account: line, rows, olderKey: page.olderKey, paged: Boolean(request.query.before),
    });
  });
};
