import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../shared/errors.ts';

/**
 * Synchronizer tokens for every internet-banking form (DESIGN §6: not the Origin header alone).
 * The secret is random per browser and kept in a signed, httpOnly cookie; the form carries an HMAC of
 * it. A cross-site page can neither read the cookie nor compute the token.
 */
export const CSRF_COOKIE = 'renkei_ib_csrf';
const SECRET = /^[A-Za-z0-9_-]{43}$/;

function tokenFor(secret: string): string {
  return createHmac('sha256', secret).update('renkei-ib-form').digest('base64url');
}

function readSecret(request: FastifyRequest): string | undefined {
  const raw = request.cookies[CSRF_COOKIE];
  if (!raw) return undefined;
  const u = request.unsignCookie(raw);
  return u.valid && u.value && SECRET.test(u.value) ? u.value : undefined;
}

/** The token to put in a form, setting the cookie on first use. */
export function csrfToken(request: FastifyRequest, reply: FastifyReply): string {
  let secret = readSecret(request);
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    reply.setCookie(CSRF_COOKIE, secret, { signed: true, httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
    // The same request may render a form after this: remember it for readSecret.
    request.cookies[CSRF_COOKIE] = reply.signCookie(secret);
  }
  return tokenFor(secret);
}

/** preHandler for every POST: refuses with 403 `csrf_invalid` unless `_csrf` matches the cookie's secret. */
export async function verifyCsrf(request: FastifyRequest): Promise<void> {
  const secret = readSecret(request);
  const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
  if (!secret || typeof sent !== 'string') throw new AppError(403, 'csrf_invalid');
  const a = Buffer.from(tokenFor(secret));
  const b = Buffer.from(sent);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new AppError(403, 'csrf_invalid');
}
