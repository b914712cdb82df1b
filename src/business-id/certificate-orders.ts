import type { Transaction } from 'kysely';
import type { RequestContext } from '../audit/audit.repository.ts';
import type { Database } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import { certificateStateOfUsers, revokeCertificatesOfCustomer, revokeCertificatesOfUsers } from '../certificates/lifecycle.ts';
import { assertRetrievalPassword, orderCertificate } from '../certificates/orders.ts';
import { AppError } from '../shared/errors.ts';
import { hashSecret } from '../shared/secret-hash.ts';

/**
 * 電子証明書発行（再発行） as a ビジネスID管理 change keeps it until the confirmation (seed 003 §4-1/§4-2, DESIGN §14):
 * pending changes are stored for up to half an hour, so the 証明書取得用パスワード is kept only as its argon2
 * hash, which is all the order needs (retrieval verifies against it).
 */
export interface CertificateOrderInput {
  retrievalPasswordHash: string;
}

/**
 * Checks the 証明書取得用パスワード against the certificates' rule (英数8文字以上) and keeps only its hash.
 * `row` names the form row in the message, as the other field checks of ユーザー登録・編集 do.
 */
export async function certificateOrderInput(retrievalPassword: string, row?: number): Promise<CertificateOrderInput> {
  try {
    assertRetrievalPassword(retrievalPassword);
  } catch (err) {
    if (row !== undefined && err instanceof AppError && err.status === 400) {
      const m = err.localized('ja');
      const e = err.localized('en');
      throw new AppError(400, 'invalid_parameter', { message: { ja: `${row}行目: ${m}`, en: `Row ${row}: ${e}` } });
    }
    throw err;
  }
  return { retrievalPasswordHash: await hashSecret(retrievalPassword) };
}

/** An argon2 hash as `certificateOrderInput` made it: a stored change carries nothing else here. */
export function isCertificateOrderInput(v: unknown): v is CertificateOrderInput {
  return typeof v === 'object' && v !== null && typeof (v as CertificateOrderInput).retrievalPasswordHash === 'string'
    && (v as CertificateOrderInput).retrievalPasswordHash.startsWith('$argon2');
}

/**
 * Places the orders of a confirmed change in its transaction: each user's previous open order is
 * cancelled and the mail 電子証明書取得のお願い goes to the outbox with the order (certificates/orders.ts).
 */
export async function placeCertificateOrders(
  trx: Transaction<Database>,
  input: { orderedByUserId: string; publicUrl: string; orders: { userId: string; certificate: CertificateOrderInput }[]; context?: RequestContext },
): Promise<string[]> {
  const ids: string[] = [];
  const now = new Date();
  for (const o of input.orders) {
    // The pending change kept only the hash of the password the administrator typed (checked on entry).
    const { orderId } = await orderCertificate(trx, {
      userId: o.userId, retrievalPasswordHash: o.certificate.retrievalPasswordHash, orderedByUserId: input.orderedByUserId, now, publicUrl: input.publicUrl, context: input.context,
    });
    ids.push(orderId);
  }
  return ids;
}

/** Per user of the customer: whether they hold a valid certificate, and an open order (ログイン方法の変更 lists who has none). */
export function certificateStates(db: Db, customerId: string) {
  return certificateStateOfUsers(db, customerId);
}

/** Why users' certificates end when the users do (user-retirement.ts reasons → the CRL's reasons). */
const RETIREMENT_REASONS = { user_deleted: 'user_deleted', group_deleted: 'user_deleted', business_id_cancelled: 'business_id_cancelled' } as const;

/**
 * Revokes the certificates of users who stop existing and cancels their open orders, in the caller's
 * transaction (DESIGN §14 Revocation): refused at their next login and listed in the CRL.
 */
export async function revokeCertificatesOfRetiredUsers(trx: Db, userIds: string[], reason: string): Promise<void> {
  if (userIds.length === 0) return;
  const crlReason = Object.hasOwn(RETIREMENT_REASONS, reason) ? RETIREMENT_REASONS[reason as keyof typeof RETIREMENT_REASONS] : 'cessation_of_operation';
  await revokeCertificatesOfUsers(trx, userIds, crlReason, new Date());
}

/**
 * 電子証明書 解約 (seed 003 §2-3): every certificate of the customer is revoked and every open order cancelled.
 * @returns the users who held a valid certificate or an open order, to be told by mail
 */
export async function revokeAllCertificatesOfCustomer(trx: Db, customerId: string) {
  const holders = await trx
    .selectFrom('users')
    .select(['users.id', 'users.login_id', 'users.name', 'users.email'])
    .where('users.customer_id', '=', customerId)
    .where('users.deleted_at', 'is', null)
    .where((eb) => eb.or([
      eb.exists(eb.selectFrom('certificates').select('certificates.id').whereRef('certificates.user_id', '=', 'users.id').where('certificates.status', '=', 'issued')),
      eb.exists(eb.selectFrom('certificate_orders').select('certificate_orders.id').whereRef('certificate_orders.user_id', '=', 'users.id').where('certificate_orders.status', '=', 'open')),
    ]))
    .orderBy('users.login_id')
    .execute();
  await revokeCertificatesOfCustomer(trx, customerId, 'certificate_service_cancelled', new Date());
  return holders;
}
