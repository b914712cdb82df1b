import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CustomerKind } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import { SCOPE, type Scope } from '../shared/scopes.ts';
import {
  AccountsResponseSchema, BalancesQuerySchema, BalancesResponseSchema, NoQuerySchema, TransactionsQuerySchema, TransactionsResponseSchema,
} from './accounts.schemas.ts';
import { listAccounts } from './accounts.service.ts';
import { insufficientScope, wrongCustomerKind } from './api-errors.ts';
import { accountBalances } from './balances.service.ts';
import { apiResponses, EXAMPLES, securityFor } from './openapi-docs.ts';
import { accountStatement } from './statements.service.ts';

/** The scope an endpoint needs (DESIGN §7 table); any one of them is enough. */
function requireScope(request: FastifyRequest, anyOf: readonly Scope[]): void {
  if (!anyOf.some((s) => request.apiAuth.scopes.has(s))) throw insufficientScope(request.apiAuth.scheme, anyOf.join(' '));
}

/** The scopes of each endpoint (DESIGN §7 table), enforced and documented from here. */
const SCOPES = {
  accounts: [SCOPE.balances, SCOPE.transactions],
  balances: [SCOPE.balances],
  transactions: [SCOPE.transactions],
} as const;

const BOUND = 'DPoP-bound access token with a DPoP proof, or a certificate-bound one as Bearer over the mutual-TLS origin.';

export interface AccountsRoutesOptions {
  db: Db;
  /** Under GMO's base paths: the kind of customer that API serves (others are refused), and not in the OpenAPI document. */
  gmo?: { customerKind: CustomerKind };
}

/** GET /accounts, /accounts/balances, /accounts/transactions (DESIGN §8). Authentication runs before these. */
export async function accountsRoutes(fastify: FastifyInstance, opts: AccountsRoutesOptions): Promise<void> {
  const { db, gmo } = opts;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  if (gmo) {
    app.addHook('preValidation', async function servedCustomerKind(request) {
      if (request.apiAuth.customerKind !== gmo.customerKind) throw wrongCustomerKind(gmo.customerKind);
    });
  }
  const hide = gmo !== undefined;

  app.get('/accounts', {
    schema: {
      hide, summary: '口座一覧照会', tags: ['accounts'], security: securityFor(SCOPES.accounts), querystring: NoQuerySchema,
      description: `連携している口座の一覧 (代表口座、科目コード、口座番号の順)。スコープ balances または transactions。${BOUND}`,
      response: apiResponses({ description: '連携している口座の一覧', schema: AccountsResponseSchema, example: EXAMPLES.accounts }),
    },
  }, async (request) => {
    requireScope(request, SCOPES.accounts);
    return listAccounts(db, request.apiAuth.grant);
  });

  app.get('/accounts/balances', {
    schema: {
      hide, summary: '残高照会', tags: ['accounts'], security: securityFor(SCOPES.balances), querystring: BalancesQuerySchema,
      description: `口座の残高 (accountId を省略するとすべての口座)。スコープ balances。${BOUND}`,
      response: apiResponses({ description: '口座ごとの残高', schema: BalancesResponseSchema, example: EXAMPLES.balances }),
    },
  }, async (request) => {
    requireScope(request, SCOPES.balances);
    return accountBalances(db, request.apiAuth.grant, request.query);
  });

  app.get('/accounts/transactions', {
    schema: {
      hide, summary: '入出金明細照会', tags: ['accounts'], security: securityFor(SCOPES.transactions), querystring: TransactionsQuerySchema,
      description: `1口座の入出金明細 (昇順、1ページ最大500件、続きは nextItemKey)。スコープ transactions。${BOUND}`,
      response: apiResponses({ description: '入出金明細の1ページ', schema: TransactionsResponseSchema, example: EXAMPLES.transactions }),
    },
  }, async (request) => {
    requireScope(request, SCOPES.transactions);
    return accountStatement(db, request.apiAuth.grant, request.query);
  });
}
