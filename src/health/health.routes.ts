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
    if (!(await answersWithin(databaseIsReachable(db), READY_BOUND_MS))) throw serviceUnavailable();
    return { status: 'ready' as const, database: 'ok' as const };
  });
};

/**
 * How long /readyz waits for the database: a probe must get an answer well before its own timeout,
 * and a database slower than this is no place to send traffic to.
 */
const READY_BOUND_MS = 1_500;

/** False when `check` says no or has not said anything within `ms` (the check itself runs on, bounded by the pool). */
async function answersWithin(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}
