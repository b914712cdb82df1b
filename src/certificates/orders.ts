import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { enqueueMails } from '../mail/outbox.repository.ts';
import { AppError } from '../shared/errors.ts';
import type { Text } from '../shared/i18n.ts';
import { hashSecret } from '../shared/secret-hash.ts';
import { certificateOrderMail } from './certificate.mail.ts';

/** 証明書取得用パスワード (DESIGN §14): 英数 8 characters or more (64 at most, like every password here). */
export const RETRIEVAL_PASSWORD_MIN_LENGTH = 8;
const RETRIEVAL_PASSWORD_MAX_LENGTH = 64;
const RETRIEVAL_PASSWORD = new RegExp(`^[A-Za-z0-9]{${RETRIEVAL_PASSWORD_MIN_LENGTH},${RETRIEVAL_PASSWORD_MAX_LENGTH}}$`);
const RETRIEVAL_PASSWORD_RULE: Text = {
  ja: `証明書取得用パスワードは半角英数字${RETRIEVAL_PASSWORD_MIN_LENGTH}文字以上${RETRIEVAL_PASSWORD_MAX_LENGTH}文字以内で入力してください。`,
  en: `The certificate retrieval password needs ${RETRIEVAL_PASSWORD_MIN_LENGTH} to ${RETRIEVAL_PASSWORD_MAX_LENGTH} letters or digits.`,
};

/** An order not retrieved within this many days is cancelled (seed 003 §5). */
export const ORDER_VALIDITY_DAYS = 30;
/** The wrong 証明書取得用パスワード that cancels the order. */
export const MAX_RETRIEVAL_ATTEMPTS = 5;

const DAY_MS = 86_400_000;

export function isValidRetrievalPassword(password: string): boolean {
  return RETRIEVAL_PASSWORD.test(password);
}

/** Throws `password_policy` (400) with the rule's own message. */
export function assertRetrievalPassword(password: string): void {
  if (!isValidRetrievalPassword(password)) throw new AppError(400, 'password_policy', { message: RETRIEVAL_PASSWORD_RULE });
}

/** The retrieval page of an order, on the bank's public origin. */
export function retrievalUrl(publicUrl: string, orderId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/certificates/retrieve/${orderId}`;
}

/**
 * Orders a certificate for a user (電子証明書発行（再発行）, DESIGN §14), in the caller's transaction: the
 * user's previous open order is cancelled, the new one stored with its 証明書取得用パスワード hashed and an
 * expiry ORDER_VALIDITY_DAYS later, 電子証明書取得のお願い written to the outbox beside it, and an audit
 * row. The user's current certificate stays valid until the new one is downloaded (a re-issue).
 * The caller decides who may order (ビジネスID管理 rights, the customer's certificate service).
 */
export async function orderCertificate(
  db: Db,
  input: { userId: string; orderedByUserId: string | null; now: Date; publicUrl: string; context?: RequestContext }
    // The password itself, or (from a confirmed change, which keeps only that) its hash, already checked.
    & ({ retrievalPassword: string } | { retrievalPasswordHash: string }),
): Promise<{ orderId: string; expiresAt: Date }> {
  let passwordHash: string;
  if ('retrievalPasswordHash' in input) {
    passwordHash = input.retrievalPasswordHash;
  } else {
    assertRetrievalPassword(input.retrievalPassword);
    passwordHash = await hashSecret(input.retrievalPassword);
  }
  return inTransaction(db, async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'login_id', 'name', 'email', 'customer_id'])
      .where('id', '=', input.userId)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!user) throw new AppError(404, 'not_found');
    const replaced = await trx
      .updateTable('certificate_orders')
      .set({ status: 'cancelled', cancel_reason: 'replaced', closed_at: input.now })
      .where('user_id', '=', user.id)
      .where('kind', '=', 'issue')
      .where('status', '=', 'open')
      .returning('id')
      .execute();
    const expiresAt = new Date(input.now.getTime() + ORDER_VALIDITY_DAYS * DAY_MS);
    const order = await trx
      .insertInto('certificate_orders')
      .values({
        user_id: user.id, kind: 'issue', retrieval_password_hash: passwordHash, expires_at: expiresAt,
        ordered_by_user_id: input.orderedByUserId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await enqueueMails(trx, [certificateOrderMail({
      to: user.email, userName: user.name, orderId: order.id, commonName: user.login_id,
      retrievalUrl: retrievalUrl(input.publicUrl, order.id), expiresAt,
    })]);
    await recordAudit(trx, {
      type: 'certificate.ordered', customerId: user.customer_id, actorUserId: input.orderedByUserId, subjectUserId: user.id,
      details: { orderId: order.id, expiresAt: expiresAt.toISOString(), ...(replaced.length ? { cancelledOrders: replaced.map((r) => r.id) } : {}) },
      context: input.context,
    });
    return { orderId: order.id, expiresAt };
  });
}

/**
 * Cancels the open orders of these users (a revocation, a deleted user, a cancelled service), in the
 * caller's transaction. @returns the cancelled orders' ids
 */
export async function cancelOpenOrdersOfUsers(trx: Db, userIds: string[], reason: string, now: Date): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await trx
    .updateTable('certificate_orders')
    .set({ status: 'cancelled', cancel_reason: reason, closed_at: now, verified_token_hash: null, verified_until: null })
    .where('user_id', 'in', userIds)
    .where('status', '=', 'open')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Sweep (DESIGN §16): cancels every open order past its expiry, with one audit row each. One
 * conditional statement decides, so two instances never cancel an order twice.
 * @returns how many orders were cancelled
 */
export async function cancelStaleOrders(db: Db, opts: { now: Date }): Promise<number> {
  return inTransaction(db, async (trx) => {
    const rows = await trx
      .updateTable('certificate_orders')
      .set({ status: 'cancelled', cancel_reason: 'expired', closed_at: opts.now, verified_token_hash: null, verified_until: null })
      .where('status', '=', 'open')
      .where('expires_at', '<=', opts.now)
      .returning(['id', 'user_id', 'kind'])
      .execute();
    if (rows.length === 0) return 0;
    const users = await trx.selectFrom('users').select(['id', 'customer_id']).where('id', 'in', [...new Set(rows.map((r) => r.user_id))]).execute();
    const customerOf = new Map(users.map((u) => [u.id, u.customer_id]));
    for (const r of rows) {
      await recordAudit(trx, {
        type: 'certificate.order_cancelled', customerId: customerOf.get(r.user_id) ?? null, subjectUserId: r.user_id,
        details: { orderId: r.id, kind: r.kind, reason: 'expired' },
      });
    }
    return rows.length;
  });
}
