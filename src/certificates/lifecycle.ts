import { recordAudits } from '../audit/audit.repository.ts';
import type { Db } from '../db/transaction.ts';
import { cancelOpenOrdersOfUsers } from './orders.ts';
import type { RevocationReason } from './revocation.ts';

/**
 * The life of issued certificates beyond retrieval (DESIGN §14): revocation of whole users or customers,
 * the state the ログイン方法の変更 screen lists, and the first login that retires a renewed certificate.
 * Everything runs in the caller's transaction. The CRL needs no signing here: /pki/crl signs a new one
 * as soon as the revoked certificates differ from the stored CRL (revocation.ts currentCrl), and the
 * daily sweep re-signs it anyway; certificate login reads the database, so a revocation counts at once.
 */

export interface RevocationResult {
  /** Ids of the certificates revoked. */
  revoked: string[];
  /** Ids of the open orders cancelled. */
  cancelledOrders: string[];
}

/** Revokes every issued certificate of these users and cancels their open orders. */
export async function revokeCertificatesOfUsers(trx: Db, userIds: string[], reason: RevocationReason, now: Date): Promise<RevocationResult> {
  if (userIds.length === 0) return { revoked: [], cancelledOrders: [] };
  const issued = await trx.selectFrom('certificates').select('id').where('user_id', 'in', userIds).where('status', '=', 'issued').execute();
  const revoked = await revokeCertificateIds(trx, issued.map((c) => c.id), reason, now);
  const cancelledOrders = await cancelOpenOrdersOfUsers(trx, userIds, reason, now);
  return { revoked, cancelledOrders };
}

/** Revokes these certificates if still issued, with an audit row each. @returns the ids revoked */
export async function revokeCertificateIds(trx: Db, ids: string[], reason: RevocationReason, now: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const revoked = await trx
    .updateTable('certificates')
    .set({ status: 'revoked', revoked_at: now, revoke_reason: reason })
    .where('id', 'in', ids)
    .where('status', '=', 'issued')
    .returning(['id', 'user_id', 'serial_number'])
    .execute();
  if (revoked.length === 0) return [];
  const users = await trx.selectFrom('users').select(['id', 'customer_id']).where('id', 'in', [...new Set(revoked.map((r) => r.user_id))]).execute();
  const customerOf = new Map(users.map((u) => [u.id, u.customer_id]));
  await recordAudits(trx, revoked.map((r) => ({
    type: 'certificate.revoked', customerId: customerOf.get(r.user_id) ?? null, subjectUserId: r.user_id,
    details: { certificateId: r.id, serialNumber: r.serial_number, reason },
  })));
  return revoked.map((r) => r.id);
}

/** Revokes every issued certificate of a customer's users (deleted ones included) and cancels their open orders. */
export async function revokeCertificatesOfCustomer(trx: Db, customerId: string, reason: RevocationReason, now: Date): Promise<RevocationResult> {
  const users = await trx.selectFrom('users').select('id').where('customer_id', '=', customerId).execute();
  return revokeCertificatesOfUsers(trx, users.map((u) => u.id), reason, now);
}

export interface UserCertificateState {
  /** An issued, unrevoked certificate within its validity. */
  hasCertificate: boolean;
  /** The latest end among those certificates. */
  notAfter: Date | null;
  /** An order waiting for retrieval. */
  openOrder: { orderId: string; kind: 'issue' | 'renewal'; expiresAt: Date } | null;
}

/** Per user of the customer (not deleted): certificate and order state, e.g. for ログイン方法の変更. */
export async function certificateStateOfUsers(db: Db, customerId: string, now: Date = new Date()): Promise<Map<string, UserCertificateState>> {
  const users = await db.selectFrom('users').select('id').where('customer_id', '=', customerId).where('deleted_at', 'is', null).execute();
  const state = new Map<string, UserCertificateState>(users.map((u) => [u.id, { hasCertificate: false, notAfter: null, openOrder: null }]));
  if (users.length === 0) return state;
  const ids = users.map((u) => u.id);
  const [certs, orders] = await Promise.all([
    db.selectFrom('certificates').select(['user_id', 'not_after'])
      .where('user_id', 'in', ids).where('status', '=', 'issued').where('not_after', '>', now).execute(),
    db.selectFrom('certificate_orders').select(['id', 'user_id', 'kind', 'expires_at'])
      .where('user_id', 'in', ids).where('status', '=', 'open').where('expires_at', '>', now).orderBy('created_at').execute(),
  ]);
  for (const c of certs) {
    const s = state.get(c.user_id)!;
    s.hasCertificate = true;
    if (c.not_after && (!s.notAfter || c.not_after > s.notAfter)) s.notAfter = c.not_after;
  }
  for (const o of orders) state.get(o.user_id)!.openOrder = { orderId: o.id, kind: o.kind, expiresAt: o.expires_at };
  return state;
}

/**
 * Records a certificate's first successful login (certificate login calls it in its transaction). When
 * the certificate renews another one, that one is retired now (DESIGN §14 Renewal: the old certificate
 * stays valid until its expiry or the new one's first login, whichever comes first). Only the first
 * login does anything, so concurrent logins retire the old certificate once.
 */
export async function markFirstLogin(trx: Db, certificateId: string, now: Date): Promise<{ retiredCertificateId: string | null }> {
  const first = await trx
    .updateTable('certificates')
    .set({ first_login_at: now })
    .where('id', '=', certificateId)
    .where('first_login_at', 'is', null)
    .returning('replaces_certificate_id')
    .executeTakeFirst();
  if (!first?.replaces_certificate_id) return { retiredCertificateId: null };
  const [retired] = await revokeCertificateIds(trx, [first.replaces_certificate_id], 'superseded', now);
  if (!retired) return { retiredCertificateId: null };
  return { retiredCertificateId: retired };
}
