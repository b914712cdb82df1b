import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { SCOPE } from '../shared/scopes.ts';
import type { Account, Balance, DemoBankApi } from './demo-bank-api.ts';
import type { DemoContext } from './demo-context.ts';
import { formatAmount } from './demo-pages.ts';
import type { DemoSession } from './demo-sessions.ts';
import { statementPage } from './demo-statements.ts';
import { AccountParams, NoQuery, StatementQuery } from './demo.schemas.ts';

/** The linked accounts with their balances, as cards (balances only when 残高照会 was granted). */
async function accountCards(api: DemoBankApi, s: DemoSession, scopes: string[]) {
  const [{ accounts }, { balances }] = await Promise.all([
    api.get<{ accounts: Account[] }>(s, '/accounts'),
    scopes.includes(SCOPE.balances) ? api.get<{ balances: Balance[] }>(s, '/accounts/balances') : Promise.resolve({ balances: [] as Balance[] }),
  ]);
  const byId = new Map(balances.map((b) => [b.accountId, b]));
  return accounts.map((a) => {
    const b = byId.get(a.accountId);
    // A foreign-currency balance is in the currency, with its yen equivalent when the bank gives one.
    const amount = b?.balance ?? b?.fcyTotalBalance;
    return {
      ...a,
      balance: b && amount !== undefined ? formatAmount(amount, b.currencyCode) : undefined,
      yenEquivalent: b?.yenEquivalent ? formatAmount(b.yenEquivalent, 'JPY') : undefined,
      withdrawable: b?.withdrawableAmount ? formatAmount(b.withdrawableAmount, b.currencyCode) : undefined,
      asOf: b ? `${b.baseDate} ${b.baseTime.slice(0, 5)}` : undefined,
      // Statements exist for ordinary yen accounts only (DESIGN §8).
      hasStatements: a.accountTypeCode === '01' || a.accountTypeCode === '02',
    };
  });
}

/** What a linked session shows: 連携中の口座 (accounts and balances) and 入出金明細 (statements). */
export function demoAccountsRoutes(parent: FastifyInstance, ctx: DemoContext): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { api, pages, sessions } = ctx;

  app.get('/demo/accounts', { schema: { querystring: NoQuery } }, async function linkedAccounts(request, reply) {
    const s = sessions.current(request);
    if (!s?.tokens) return pages.expired(reply);
    const scopes = s.tokens.scope.split(' ');
    // 口座一覧照会 needs 残高照会 or 入出金明細照会: with 振込 alone there is nothing to list.
    const canRead = scopes.includes(SCOPE.balances) || scopes.includes(SCOPE.transactions);
    try {
      const accounts = canRead ? await accountCards(api, s, scopes) : [];
      return await pages.render(reply, 'accounts', {
        title: '連携中の口座', csrfToken: reply.formToken(), accounts,
        canStatements: scopes.includes(SCOPE.transactions), canBalances: scopes.includes(SCOPE.balances), canTransfer: scopes.includes(SCOPE.transfers), canRead,
      });
    } catch (err) {
      return pages.apiFailure(request, reply, s, err);
    }
  });

  app.get('/demo/accounts/:accountId/transactions', {
    schema: { params: AccountParams, querystring: StatementQuery },
    attachValidation: true,
  }, async function statements(request, reply) {
    const s = sessions.current(request);
    if (!s?.tokens) return pages.expired(reply);
    if (request.validationError) return pages.invalidParameter(reply, '入出金明細', '/demo/accounts');
    const { accountId } = request.params;
    try {
      const page = await statementPage(api, s, accountId, request.query);
      return await pages.render(reply, 'transactions', { title: '入出金明細', accountId, ...page });
    } catch (err) {
      return pages.apiFailure(request, reply, s, err);
    }
  });
}
