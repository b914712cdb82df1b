import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CustomerKind } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import { SCOPE, type Scope } from '../shared/scopes.ts';
import {
  AccountsResponseSchema, API_ERRORS, BalancesQuerySchema, BalancesResponseSchema, NoQuerySchema, TransactionsQuerySchema, TransactionsResponseSchema,
} from './accounts.schemas.ts';
import { listAccounts } from './accounts.service.ts';
import { insufficientScope, wrongCustomerKind } from './api-errors.ts';
import { accountBalances } from './balances.service.ts';
import { accountStatement } from './statements.service.ts';

/** The scope an endpoint needs (DESIGN §7 table); any one of them is enough. */
function requireScope(request: FastifyRequest, anyOf: Scope[]): void {
  if (!anyOf.some((s) => request.apiAuth.scopes.has(s))) throw insufficientScope(request.apiAuth.scheme, anyOf.join(' '));
}

/** A DPoP-bound token, or a certificate-bound one over mutual TLS (DESIGN §8). */
const security: Record<string, string[]>[] = [{ DPoP: [] }, { mtls: [] }];

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
    schema: { hide, summary: '口座一覧照会', tags: ['accounts'], security, querystring: NoQuerySchema, response: { 200: AccountsResponseSchema, ...API_ERRORS } },
  }, async (request) => {
    requireScope(request, [SCOPE.balances, SCOPE.transactions]);
    return listAccounts(db, request.apiAuth.grant);
  });

  app.get('/accounts/balances', {
    schema: { hide, summary: '残高照会', tags: ['accounts'], security, querystring: BalancesQuerySchema, response: { 200: BalancesResponseSchema, ...API_ERRORS } },
  }, async (request) => {
    requireScope(request, [SCOPE.balances]);
    return accountBalances(db, request.apiAuth.grant, request.query);
  });

  app.get('/accounts/transactions', {
    schema: { hide, summary: '入出金明細照会', tags: ['accounts'], security, querystring: TransactionsQuerySchema, response: { 200: TransactionsResponseSchema, ...API_ERRORS } },
  }, async (request) => {
    requireScope(request, [SCOPE.transactions]);
    return accountStatement(db, request.apiAuth.grant, request.query);
  });
}
