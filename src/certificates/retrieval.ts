import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { AppError } from '../shared/errors.ts';
import type { Text } from '../shared/i18n.ts';
import { tokenHash, verifySecret } from '../shared/secret-hash.ts';
import type { BankCa } from './bank-ca.ts';
import { issueUserCertificate, isValidKeyProtectionPassword, KEY_PROTECTION_PASSWORD_RULE, type IssuedCertificate } from './issue.ts';
import { revokeCertificateIds } from './lifecycle.ts';
import { MAX_RETRIEVAL_ATTEMPTS } from './orders.ts';
import type { PfxProfile } from './pfx.ts';

/**
 * Retrieval of an ordered certificate (DESIGN §14): the 証明書取得用パスワード proves the order's
 * recipient (5 wrong ones cancel it), then the download consumes the order once and issues the
 * certificate in the same transaction, its private key generated for the download only.
 */

/** How long the browser that gave the right 証明書取得用パスワード may continue to the download. */
const RETRIEVAL_SESSION_MINUTES = 30;

/** Why an order cannot be retrieved; each has its own page. */
export type OrderClosedReason = 'not_found' | 'expired' | 'used' | 'cancelled' | 'too_many_attempts';

const ORDER_CLOSED_TEXTS: Record<OrderClosedReason, Text> = {
  not_found: { ja: 'このオーダーIDのご依頼は見つかりませんでした。メールに記載のURLをご確認ください。', en: 'No order has this order ID. Check the URL in your mail.' },
  expired: { ja: 'このご依頼は取得期限を過ぎたため取り消されました。管理者に電子証明書の再発行を依頼してください。', en: 'This order has expired. Ask your administrator to order the certificate again.' },
  used: { ja: 'このご依頼の電子証明書は既に取得済みです。再度必要な場合は、管理者に再発行を依頼してください。', en: 'This certificate has already been retrieved. Ask your administrator for a new one if you need it again.' },
  cancelled: { ja: 'このご依頼は取り消されています。管理者に電子証明書の再発行を依頼してください。', en: 'This order was cancelled. Ask your administrator to order the certificate again.' },
  too_many_attempts: {
    ja: `証明書取得用パスワードを${MAX_RETRIEVAL_ATTEMPTS}回誤ったため、このご依頼は取り消されました。管理者に電子証明書の再発行を依頼してください。`,
    en: `The certificate retrieval password was wrong ${MAX_RETRIEVAL_ATTEMPTS} times, so this order was cancelled. Ask your administrator to order again.`,
  },
};

/** An order that can no longer be retrieved: its page says why. */
export class OrderClosedError extends AppError {
  readonly reason: OrderClosedReason;
  constructor(reason: OrderClosedReason) {
    super(reason === 'not_found' ? 404 : 410, reason === 'not_found' ? 'not_found' : 'change_expired', { message: ORDER_CLOSED_TEXTS[reason] });
    this.reason = reason;
  }
}

export interface RetrievableOrder {
  id: string;
  kind: 'issue' | 'renewal';
  userId: string;
  loginId: string;
  userName: string;
  customerId: string;
  expiresAt: Date;
  failedAttempts: number;
}

/** Why a closed order is closed, from its row. */
function closedReason(o: { status: string; cancel_reason: string | null; expires_at: Date }, now: Date): OrderClosedReason | undefined {
  if (o.status === 'issued') return 'used';
  if (o.status === 'cancelled') return o.cancel_reason === 'too_many_attempts' ? 'too_many_attempts' : o.cancel_reason === 'expired' ? 'expired' : 'cancelled';
  if (o.expires_at <= now) return 'expired';
  return undefined;
}

/** The order as the retrieval pages show it; throws OrderClosedError when it cannot be retrieved. */
export async function openOrder(db: Db, orderId: string, now: Date): Promise<RetrievableOrder> {
  const o = await db
    .selectFrom('certificate_orders as o')
    .innerJoin('users as u', 'u.id', 'o.user_id')
    .select(['o.id', 'o.kind', 'o.status', 'o.cancel_reason', 'o.expires_at', 'o.failed_attempts', 'u.id as user_id', 'u.login_id', 'u.name', 'u.customer_id', 'u.deleted_at'])
    .where('o.id', '=', orderId)
    .executeTakeFirst();
  if (!o) throw new OrderClosedError('not_found');
  const closed = closedReason(o, now);
  if (closed) throw new OrderClosedError(closed);
  if (o.deleted_at !== null) throw new OrderClosedError('cancelled');
  return {
    id: o.id, kind: o.kind, userId: o.user_id, loginId: o.login_id, userName: o.name, customerId: o.customer_id,
    expiresAt: o.expires_at, failedAttempts: o.failed_attempts,
  };
}

export type PasswordCheck =
  | { ok: true; token: string; order: RetrievableOrder }
  | { ok: false; attemptsLeft: number };

/**
 * Checks the 証明書取得用パスワード. Right: the order is marked verified for a new random token (the
 * browser keeps it; only its hash is stored) for RETRIEVAL_SESSION_MINUTES. Wrong: one conditional
 * UPDATE counts it and cancels the order at the MAX_RETRIEVAL_ATTEMPTS-th, so concurrent guesses can
 * never exceed the limit; the cancelling attempt throws OrderClosedError('too_many_attempts').
 */
export async function checkRetrievalPassword(
  db: Db,
  input: { orderId: string; password: string; now: Date; context?: RequestContext },
): Promise<PasswordCheck> {
  const order = await openOrder(db, input.orderId, input.now);
  const row = await db.selectFrom('certificate_orders').select('retrieval_password_hash').where('id', '=', order.id).executeTakeFirstOrThrow();
  const right = row.retrieval_password_hash !== null && (await verifySecret(row.retrieval_password_hash, input.password));
  if (right) {
    const token = randomBytes(32).toString('base64url');
    const verified = await db
      .updateTable('certificate_orders')
      .set({ verified_token_hash: tokenHash(token), verified_until: new Date(input.now.getTime() + RETRIEVAL_SESSION_MINUTES * 60_000) })
      .where('id', '=', order.id)
      .where('status', '=', 'open')
      .where('expires_at', '>', input.now)
      .returning('id')
      .executeTakeFirst();
    if (!verified) throw new OrderClosedError((await closedReasonOf(db, order.id, input.now)) ?? 'cancelled');
    await recordAudit(db, { type: 'certificate.retrieval_password_accepted', customerId: order.customerId, subjectUserId: order.userId, details: { orderId: order.id }, context: input.context });
    return { ok: true, token, order };
  }
  const lastAttempt = sql<boolean>`failed_attempts + 1 >= ${MAX_RETRIEVAL_ATTEMPTS}`;
  const counted = await db
    .updateTable('certificate_orders')
    .set({
      failed_attempts: sql<number>`failed_attempts + 1`,
      status: sql<'open' | 'cancelled'>`case when ${lastAttempt} then 'cancelled' else 'open' end`,
      cancel_reason: sql<string | null>`case when ${lastAttempt} then 'too_many_attempts' else null end`,
      closed_at: sql<Date | null>`case when ${lastAttempt} then ${input.now}::timestamptz else null end`,
      verified_token_hash: null,
      verified_until: null,
    })
    .where('id', '=', order.id)
    .where('status', '=', 'open')
    .where('expires_at', '>', input.now)
    .returning(['failed_attempts', 'status'])
    .executeTakeFirst();
  if (!counted) throw new OrderClosedError((await closedReasonOf(db, order.id, input.now)) ?? 'cancelled');
  await recordAudit(db, {
    type: counted.status === 'cancelled' ? 'certificate.order_cancelled' : 'certificate.retrieval_password_wrong',
    outcome: 'failure', customerId: order.customerId, subjectUserId: order.userId,
    details: { orderId: order.id, failedAttempts: counted.failed_attempts, ...(counted.status === 'cancelled' ? { reason: 'too_many_attempts' } : {}) },
    context: input.context,
  });
  if (counted.status === 'cancelled') throw new OrderClosedError('too_many_attempts');
  return { ok: false, attemptsLeft: MAX_RETRIEVAL_ATTEMPTS - counted.failed_attempts };
}

async function closedReasonOf(db: Db, orderId: string, now: Date): Promise<OrderClosedReason | undefined> {
  const o = await db.selectFrom('certificate_orders').select(['status', 'cancel_reason', 'expires_at']).where('id', '=', orderId).executeTakeFirst();
  return o ? closedReason(o, now) : 'not_found';
}

/** Whether `token` is the verified browser of an open order (the 鍵保護パスワード step may be shown). */
export async function isVerifiedRetrieval(db: Db, input: { orderId: string; token: string | undefined; now: Date }): Promise<boolean> {
  if (!input.token) return false;
  const row = await db
    .selectFrom('certificate_orders')
    .select('id')
    .where('id', '=', input.orderId)
    .where('status', '=', 'open')
    .where('expires_at', '>', input.now)
    .where('verified_token_hash', '=', tokenHash(input.token))
    .where('verified_until', '>', input.now)
    .executeTakeFirst();
  return row !== undefined;
}

/** Throws `password_policy` when the 鍵保護パスワード breaks the rule or the two entries differ. */
export function assertKeyProtectionPassword(password: string, confirmation: string): void {
  if (!isValidKeyProtectionPassword(password)) throw new AppError(400, 'password_policy', { message: KEY_PROTECTION_PASSWORD_RULE });
  if (password !== confirmation) {
    throw new AppError(400, 'password_policy', { message: { ja: '鍵保護パスワードと鍵保護パスワード(確認用)が一致しません。', en: 'The two key protection passwords differ.' } });
  }
}

export interface IssueSettings {
  ca: BankCa;
  validityDays: number;
  crlUrl: string;
}

export interface RetrievedCertificate extends IssuedCertificate {
  /** Certificates revoked by this retrieval (a re-issue revokes the user's previous ones). */
  revoked: string[];
}

/**
 * The download (証明書ダウンロード): consumes the verified order and issues its certificate in one
 * transaction. The conditional UPDATE that marks the order issued decides: of two concurrent downloads
 * one gets the file, the other a closed order; a failure anywhere rolls the order back to open.
 * A re-issue (kind issue) revokes the user's other certificates now; a renewal leaves the renewed one
 * valid until the new one's first login (markFirstLogin) or its own expiry.
 */
export async function retrieveCertificate(
  db: Db,
  settings: IssueSettings,
  input: { orderId: string; token: string | undefined; keyProtectionPassword: string; profile: PfxProfile; now: Date; context?: RequestContext },
): Promise<RetrievedCertificate> {
  if (!isValidKeyProtectionPassword(input.keyProtectionPassword)) throw new AppError(400, 'password_policy', { message: KEY_PROTECTION_PASSWORD_RULE });
  if (!input.token) throw new OrderClosedError((await closedReasonOf(db, input.orderId, input.now)) ?? 'cancelled');
  const token = input.token;
  return inTransaction(db, async (trx) => {
    const order = await trx
      .updateTable('certificate_orders')
      .set({ status: 'issued', closed_at: input.now, verified_token_hash: null, verified_until: null })
      .where('id', '=', input.orderId)
      .where('status', '=', 'open')
      .where('expires_at', '>', input.now)
      .where('verified_token_hash', '=', tokenHash(token))
      .where('verified_until', '>', input.now)
      .returning(['id', 'user_id', 'kind', 'renews_certificate_id'])
      .executeTakeFirst();
    if (!order) throw new OrderClosedError((await closedReasonOf(trx, input.orderId, input.now)) ?? 'cancelled');
    const holder = await activeHolder(trx, order.user_id);
    if (order.renews_certificate_id) await lockRenewable(trx, order.renews_certificate_id, order.user_id, input.now);
    const issued = await issueUserCertificate(trx, settings.ca, {
      userId: order.user_id, keyProtectionPassword: input.keyProtectionPassword, profile: input.profile,
      validityDays: settings.validityDays, crlUrl: settings.crlUrl, orderId: order.id, now: input.now,
      ...(order.renews_certificate_id ? { replacesCertificateId: order.renews_certificate_id } : {}),
    });
    await trx.updateTable('certificate_orders').set({ certificate_id: issued.id }).where('id', '=', order.id).execute();
    let revoked: string[] = [];
    if (order.kind === 'issue') {
      // A re-issue: the previous certificates end now that the new one is in the user's hands.
      const others = await trx.selectFrom('certificates').select('id').where('user_id', '=', order.user_id).where('status', '=', 'issued').where('id', '!=', issued.id).execute();
      revoked = await revokeCertificateIds(trx, others.map((o) => o.id), 'superseded', input.now);
      // Their pending renewals have nothing left to renew.
      await trx.updateTable('certificate_orders').set({ status: 'cancelled', cancel_reason: 'superseded', closed_at: input.now, verified_token_hash: null, verified_until: null })
        .where('user_id', '=', order.user_id).where('status', '=', 'open').where('kind', '=', 'renewal').execute();
    }
    await recordAudit(trx, {
      type: 'certificate.issued', customerId: holder.customer_id, actorUserId: order.user_id, actorLoginId: holder.login_id, subjectUserId: order.user_id,
      details: {
        orderId: order.id, kind: order.kind, certificateId: issued.id, serialNumber: issued.serialNumber, fingerprint: issued.fingerprintSha256,
        profile: input.profile, ...(order.renews_certificate_id ? { renews: order.renews_certificate_id } : {}), ...(revoked.length ? { revoked } : {}),
      },
      context: input.context,
    });
    return { ...issued, revoked };
  });
}

/** The user of an order, if they may still receive a certificate (not deleted, certificate service active). */
async function activeHolder(trx: Db, userId: string) {
  const holder = await trx
    .selectFrom('users as u')
    .innerJoin('customers as c', 'c.id', 'u.customer_id')
    .select(['u.login_id', 'u.customer_id', 'u.deleted_at', 'c.certificate_service_status'])
    .where('u.id', '=', userId)
    .executeTakeFirst();
  if (!holder || holder.deleted_at !== null || holder.certificate_service_status !== 'active') throw new OrderClosedError('cancelled');
  return holder;
}

/**
 * Locks the certificate being renewed and checks it can still be renewed: issued, unexpired, the
 * user's, and not renewed before (the row lock orders concurrent renewals; the unique index on
 * replaces_certificate_id backs it).
 */
export async function lockRenewable(trx: Db, certificateId: string, userId: string, now: Date): Promise<void> {
  const old = await trx.selectFrom('certificates').select(['user_id', 'status', 'not_after']).where('id', '=', certificateId).forUpdate().executeTakeFirst();
  if (!old || old.user_id !== userId || old.status !== 'issued' || !old.not_after || old.not_after <= now) throw new OrderClosedError('cancelled');
  const successor = await trx.selectFrom('certificates').select('id').where('replaces_certificate_id', '=', certificateId).executeTakeFirst();
  if (successor) throw new OrderClosedError('used');
}
