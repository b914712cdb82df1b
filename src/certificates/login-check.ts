import { X509Certificate } from 'node:crypto';
import type { Db } from '../db/transaction.ts';
import type { UserStatus } from '../db/database.ts';
import type { BankCa } from './bank-ca.ts';

/**
 * Why a presented certificate cannot log in (DESIGN §14 "Certificate login"); each has its own message
 * on the screens and its own audit reason.
 */
export type CertificateRefusal =
  | 'no_certificate'
  /** Outside its validity period, or marked expired by the bank. */
  | 'expired'
  | 'revoked'
  /** Does not chain to the bank's issuing CA (another CA, self-signed, not for client authentication). */
  | 'unknown_ca'
  /** Chains to the bank's CA but the bank has no record of issuing it to a user. */
  | 'not_found'
  /** The bank's record names a user who is gone, or whose login ID is not the certificate's CN. */
  | 'other_user'
  | 'locked'
  /** The customer's 電子証明書 service is not active (cancelled, or never applied for). */
  | 'service_inactive';

/** Who a valid certificate belongs to, as the login screen names them. */
export interface CertificateHolder {
  certificateId: string;
  /** Hex SHA-256 of the DER: how logs and audit rows name a certificate. */
  fingerprint: string;
  userId: string;
  loginId: string;
  name: string;
  customerId: string;
  customerName: string;
  status: UserStatus;
}

export type CertificateCheck =
  | { ok: true; holder: CertificateHolder }
  | { ok: false; reason: CertificateRefusal; fingerprint?: string; holder?: Partial<CertificateHolder> };

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * Decides whether a presented client certificate may log in, at this moment (DESIGN §14): it chains to
 * the bank's issuing CA (signature checked here, whatever the TLS layer or a proxy decided), is within
 * its validity, is issued and not revoked in the database (authoritative, read at every login), and
 * belongs to an active user of a customer whose certificate service is active. `locked` is reported
 * last, once the certificate itself is known to be good.
 */
export async function checkLoginCertificate(db: Db, ca: BankCa, cert: X509Certificate | undefined, now: Date = new Date()): Promise<CertificateCheck> {
  if (!cert) return { ok: false, reason: 'no_certificate' };
  const fingerprint = cert.fingerprint256.replaceAll(':', '').toLowerCase();
  const issuing = issuingOf(ca);
  // EKU absent means any purpose (RFC 5280 §4.2.1.12); present, it must allow client authentication.
  const purposes = cert.keyUsage;
  if (!cert.checkIssued(issuing) || !cert.verify(issuing.publicKey) || (purposes && !purposes.includes(CLIENT_AUTH))) {
    return { ok: false, reason: 'unknown_ca', fingerprint };
  }
  const outsideValidity = now < new Date(cert.validFrom) || now > new Date(cert.validTo);

  const row = await db
    .selectFrom('certificates')
    .innerJoin('users', 'users.id', 'certificates.user_id')
    .innerJoin('customers', 'customers.id', 'users.customer_id')
    .select([
      'certificates.id as certificateId', 'certificates.status as certificateStatus', 'certificates.not_after as notAfter',
      'users.id as userId', 'users.login_id as loginId', 'users.name', 'users.status', 'users.deleted_at as deletedAt',
      'customers.id as customerId', 'customers.name as customerName', 'customers.certificate_service_status as service',
    ])
    .where('certificates.fingerprint_sha256', '=', fingerprint)
    .executeTakeFirst();
  // An expired certificate is named as such even when the bank no longer lists it; a listed one is
  // looked up first, so the refusal is audited against its user.
  if (!row) return { ok: false, reason: outsideValidity ? 'expired' : 'not_found', fingerprint };
  const known = { certificateId: row.certificateId, userId: row.userId, loginId: row.loginId, customerId: row.customerId };
  if (row.certificateStatus === 'revoked') return { ok: false, reason: 'revoked', fingerprint, holder: known };
  if (outsideValidity || row.certificateStatus === 'expired' || (row.notAfter && row.notAfter < now)) return { ok: false, reason: 'expired', fingerprint, holder: known };
  if (row.certificateStatus !== 'issued') return { ok: false, reason: 'not_found', fingerprint, holder: known };
  if (row.deletedAt !== null || !cert.subject.split('\n').includes(`CN=${row.loginId}`)) {
    return { ok: false, reason: 'other_user', fingerprint, holder: known };
  }
  if (row.service !== 'active') return { ok: false, reason: 'service_inactive', fingerprint, holder: known };
  const holder: CertificateHolder = {
    certificateId: row.certificateId, fingerprint, userId: row.userId, loginId: row.loginId, name: row.name,
    customerId: row.customerId, customerName: row.customerName, status: row.status,
  };
  if (row.status === 'locked') return { ok: false, reason: 'locked', fingerprint, holder };
  return { ok: true, holder };
}

/** The issuing CA as Node's X509Certificate, converted once per CA. */
const issuingCache = new WeakMap<BankCa, X509Certificate>();
function issuingOf(ca: BankCa): X509Certificate {
  let c = issuingCache.get(ca);
  if (!c) {
    c = new X509Certificate(Buffer.from(ca.issuing.rawData));
    issuingCache.set(ca, c);
  }
  return c;
}
