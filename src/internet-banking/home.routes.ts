import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listCustomerAccounts } from '../accounts/accounts.repository.ts';
import { previousLoginAt } from '../audit/audit.repository.ts';
import type { Actor } from '../business-id/actor.ts';
import { defineTexts, translate } from '../shared/i18n.ts';
import { langOf, render, requireSession, type IbScreenOptions } from './ib-pages.ts';
import { LangQuery } from './ib.schemas.ts';

const HOME_TEXTS = defineTexts({
  title: { ja: 'ホーム', en: 'Home' },
  previousLogin: { ja: '前回ログイン', en: 'Previous login' },
  accounts: { ja: '口座', en: 'Accounts' },
  branch: { ja: '支店名', en: 'Branch' },
  accountNumber: { ja: '口座番号', en: 'Account number' },
  balance: { ja: '残高', en: 'Balance' },
  primary: { ja: '（代表口座）', en: ' (primary)' },
  yen: { ja: '円', en: '円' },
  procedures: { ja: '各種お手続き', en: 'Settings' },
  history: { ja: '履歴', en: 'History' },
});

/** Who sees every account's balance on the home screen: the master, and an individual customer. */
function seesAccountBalances(actor: Actor): boolean {
  return actor.role === 'master' || actor.customerKind === 'individual';
}

/** The home screen: 前回ログイン, the accounts (for those who may see them) and the menu as cards. */
export const homeScreen: FastifyPluginAsyncTypebox<IbScreenOptions> = async function homeScreen(app, deps) {
  const { db } = deps;
  app.get('/ib/', { schema: { querystring: Type.Object(LangQuery) }, preHandler: requireSession(deps) }, async function showHome(request, reply) {
    const actor = request.ibActor!;
    const [accounts, previousLogin] = await Promise.all([
      seesAccountBalances(actor) ? listCustomerAccounts(db, actor.customerId) : [],
      previousLoginAt(db, actor.id),
    ]);
    return render(request, reply, 'ib/home', { t: translate(HOME_TEXTS, langOf(request)), accounts, previousLogin });
  });
};
