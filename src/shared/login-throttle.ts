import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { LoginThrottle } from '../config/config.schema.ts';
import { AppError } from './errors.ts';

/**
 * Throttling of the endpoints where each attempt costs an argon2 hash (passwords, PINs, reset codes):
 * @fastify/rate-limit, counted per source address and per login ID, answering 429 `rate_limited` with
 * Retry-After. It slows guessing and protects the CPU; the lockouts (5 wrong passwords, 3 wrong PINs)
 * stay exact in the database, and the limits are never below 5 (config schema), so throttling never
 * stops a user before the lockout rules would.
 */
export async function registerLoginThrottle(app: FastifyInstance): Promise<void> {
  // Only where a route asks for it (below): nothing global.
  await app.register(rateLimit, { global: false });
}

/**
 * A preHandler for one endpoint: both limits are counted (address first; a request refused by it does
 * not count against the login ID). `loginIdOf` reads the login ID from the parsed body or params.
 */
export function loginThrottle(app: FastifyInstance, limits: LoginThrottle, loginIdOf?: (request: FastifyRequest) => string | undefined): preHandlerAsyncHookHandler {
  const byAddress = app.createRateLimit({ max: limits.perAddress, timeWindow: limits.windowMs, keyGenerator: (r) => `addr:${r.ip}` });
  const byLoginId = loginIdOf
    ? app.createRateLimit({ max: limits.perLoginId, timeWindow: limits.windowMs, keyGenerator: (r) => `id:${loginIdOf(r)?.trim().toLowerCase() ?? ''}` })
    : undefined;
  return async function throttleLoginAttempt(request) {
    for (const limiter of byLoginId && loginIdOf?.(request) ? [byAddress, byLoginId] : [byAddress]) {
      const r = await limiter(request);
      if (!r.isAllowed && r.isExceeded) {
        throw new AppError(429, 'rate_limited', { headers: { 'retry-after': String(Math.max(1, r.ttlInSeconds)) } });
      }
    }
  };
}
