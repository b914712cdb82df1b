import 'reflect-metadata';
import { createHash, randomInt } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { sha256Hex, type BankCa } from './bank-ca.ts';
import { clientCertificatePfx, signClientCertificate } from './client-certificate.ts';
import { formatDn } from './distinguished-name.ts';
import type { PfxProfile } from './pfx.ts';

/** Validity of a sandbox partner certificate unless the operator asks otherwise, and its ceiling. */
export const PARTNER_CERTIFICATE_DAYS = { default: 365, max: 825 } as const;

export interface PartnerCertificate {
  certificate: x509.X509Certificate;
  /** What the partner registers as `tls_client_auth_subject_dn` (RFC 4514, most specific first). */
  subjectDn: string;
  /** The PKCS#12 file: new private key, certificate, bank CA chain. The key exists nowhere else. */
  pfx: Buffer;
  /** Protects `pfx`; generated, shown once to the operator. */
  password: string;
  fingerprintSha256: string;
  /** RFC 8705 §3.1 confirmation of tokens bound to it: base64url SHA-256 of the DER. */
  x5tS256: string;
}

const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** 20 letters and digits without look-alikes (~114 bits): typed or pasted by a partner's engineer. */
function generatePassword(): string {
  for (;;) {
    const p = Array.from({ length: 20 }, () => ALNUM[randomInt(ALNUM.length)]).join('');
    if (/[A-Za-z]/.test(p) && /[0-9]/.test(p)) return p;
  }
}

/**
 * A sandbox client certificate for an API連携先 (DESIGN §14, RFC 8705 §2.1 PKI method), issued by the
 * bank's issuing CA so the mutual-TLS listener trusts it without PARTNER_CA_FILE: CN = the partner's
 * service name, O = its legal name, C = JP, EKU clientAuth, ECDSA P-256. Unlike user certificates it is
 * not a `certificates` row, so certificate login (which looks certificates up there) never accepts it.
 */
export async function issuePartnerCertificate(
  ca: BankCa,
  input: { serviceName: string; legalName: string; validityDays?: number; profile?: PfxProfile },
): Promise<PartnerCertificate> {
  const days = input.validityDays ?? PARTNER_CERTIFICATE_DAYS.default;
  if (!Number.isInteger(days) || days < 1 || days > PARTNER_CERTIFICATE_DAYS.max) {
    throw new RangeError(`validity must be 1 to ${PARTNER_CERTIFICATE_DAYS.max} days`);
  }
  const rdns = [{ type: 'C', value: 'JP' }, { type: 'O', value: input.legalName }, { type: 'CN', value: input.serviceName }];
  // A JSON name: legal names may hold ',' or '+', which need no escaping this way.
  const signed = await signClientCertificate(ca, { subject: rdns.map((r) => ({ [r.type]: [r.value] })), validityDays: days, now: Date.now() });
  const { certificate } = signed;
  const password = generatePassword();
  const pfx = await clientCertificatePfx(ca, signed, {
    password, friendlyName: `${input.serviceName} (${input.legalName})`, profile: input.profile ?? 'modern',
  });
  const der = new Uint8Array(certificate.rawData);
  return { certificate, subjectDn: formatDn(rdns), pfx, password, fingerprintSha256: sha256Hex(der), x5tS256: createHash('sha256').update(der).digest('base64url') };
}
