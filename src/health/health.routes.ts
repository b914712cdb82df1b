import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { databaseIsReachable } from '../db/migrate.ts';
import { serviceUnavailable } from '../shared/errors.ts';
import { ErrorRef } from '../shared/error.schemas.ts';

export interface HealthOptions {
  db: Kysely<any>;
}

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: it can reach its database),
 * for load balancers and orchestrators. Neither needs authentication nor reveals anything.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async function healthRoutes(app, { db }) {
  app.get('/healthz', {
    schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    logLevel: 'warn',
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      response: {
        200: Type.Object({ status: Type.Literal('ready'), database: Type.Literal('ok') }),
        503: ErrorRef,
      },
    },
    logLevel: 'warn',
  }, async () => {
    if (!(await databaseIsReachable(db))) throw serviceUnavailable();
    return { status: 'ready' as const, database: 'ok' as const };
  });
};
