import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { Db } from '../db/transaction.ts';
import { AppError } from '../shared/errors.ts';
import type { Text } from '../shared/i18n.ts';
import { sha256Hex, type BankCa } from './bank-ca.ts';
import { clientCertificatePfx, signClientCertificate } from './client-certificate.ts';
import type { PfxProfile } from './pfx.ts';

/** 鍵保護パスワード (DESIGN §14): 半角英数 12 characters or more, with letters and digits. */
export const KEY_PROTECTION_PASSWORD_MIN_LENGTH = 12;
const KEY_PROTECTION_PASSWORD = /^(?=.*[A-Za-z])(?=.*[0-9])[A-Za-z0-9]{12,64}$/;
export const KEY_PROTECTION_PASSWORD_RULE: Text = {
  ja: '鍵保護パスワードは半角英数字12文字以上64文字以内で、英字と数字をそれぞれ1文字以上含めてください。',
  en: 'The key protection password needs 12 to 64 letters and digits, with at least one of each.',
};

export function isValidKeyProtectionPassword(password: string): boolean {
  return KEY_PROTECTION_PASSWORD.test(password);
}

export interface IssuedCertificate {
  /** The `certificates` row. */
  id: string;
  serialNumber: string;
  fingerprintSha256: string;
  certificate: x509.X509Certificate;
  /** The PKCS#12 file with the new private key, the certificate and the CA chain; never stored. */
  pfx: Buffer;
  /** `<loginId>.pfx` */
  fileName: string;
}

/**
 * Issues a user certificate (DESIGN §14): a new ECDSA P-256 key, CN = login ID, O = customer name,
 * EKU clientAuth, a random serial, valid for `validityDays`; records it as issued and returns it with
 * a PKCS#12 file protected by the 鍵保護パスワード. The private key exists only inside that file.
 * Run it in the transaction that consumes the order, so a failed download leaves no certificate behind.
 */
export async function issueUserCertificate(
  db: Db,
  ca: BankCa,
  input: {
    userId: string; keyProtectionPassword: string; profile: PfxProfile; validityDays: number; crlUrl: string;
    /** The order it is retrieved through, and the certificate it renews (DESIGN §14 Renewal). */
    orderId?: string; replacesCertificateId?: string;
    /** The issuing time (default: the clock). */
    now?: Date;
  },
): Promise<IssuedCertificate> {
  if (!isValidKeyProtectionPassword(input.keyProtectionPassword)) throw new AppError(400, 'password_policy', { message: KEY_PROTECTION_PASSWORD_RULE });
  const user = await db
    .selectFrom('users')
    .innerJoin('customers', 'customers.id', 'users.customer_id')
    .select(['users.login_id', 'customers.name as customer_name'])
    .where('users.id', '=', input.userId)
    .where('users.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!user) throw new AppError(404, 'not_found');

  // A JSON name: customer names may hold ',', '+' or '=' and need no escaping that way; C → O → CN is the DER order.
  const subject: x509.JsonName = [{ C: ['JP'] }, { O: [user.customer_name] }, { CN: [user.login_id] }];
  const signed = await signClientCertificate(ca, { subject, validityDays: input.validityDays, now: input.now?.getTime() ?? Date.now(), crlUrl: input.crlUrl });
  const { certificate, serialNumber, notBefore, notAfter } = signed;
  const fingerprintSha256 = sha256Hex(certificate.rawData);
  const row = await db
    .insertInto('certificates')
    .values({
      user_id: input.userId,
      serial_number: serialNumber,
      fingerprint_sha256: fingerprintSha256,
      subject: certificate.subject,
      not_before: notBefore,
      not_after: notAfter,
      status: 'issued',
      order_id: input.orderId ?? null,
      replaces_certificate_id: input.replacesCertificateId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();

  const pfx = await clientCertificatePfx(ca, signed, {
    password: input.keyProtectionPassword, friendlyName: `${user.login_id} (${user.customer_name})`, profile: input.profile,
  });
  return { id: row.id, serialNumber, fingerprintSha256, certificate, pfx, fileName: `${user.login_id}.pfx` };
}
