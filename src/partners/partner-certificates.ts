import type { BankCa } from '../certificates/bank-ca.ts';
import type { PfxProfile } from '../certificates/pfx.ts';
import { issuePartnerCertificate, type PartnerCertificate } from '../certificates/partner-certificate.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { Db } from '../db/transaction.ts';

/**
 * `partners certificate` (DESIGN §14): a sandbox client certificate for an active partner, issued by the
 * bank CA with the partner's own names, and an audit row naming it by serial and thumbprint (never the
 * key or its password). Returns undefined when no active partner has that id.
 */
export async function issueSandboxPartnerCertificate(
  db: Db,
  ca: BankCa,
  input: { partnerId: string; validityDays?: number; profile?: PfxProfile },
): Promise<(PartnerCertificate & { partner: { id: string; legalName: string; serviceName: string } }) | undefined> {
  const partner = await db
    .selectFrom('partners')
    .select(['id', 'legal_name', 'service_name'])
    .where('id', '=', input.partnerId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!partner) return undefined;
  const issued = await issuePartnerCertificate(ca, {
    serviceName: partner.service_name, legalName: partner.legal_name,
    ...(input.validityDays !== undefined ? { validityDays: input.validityDays } : {}),
    ...(input.profile ? { profile: input.profile } : {}),
  });
  await recordAudit(db, {
    type: 'partner.certificate_issued',
    details: {
      partnerId: partner.id, subjectDn: issued.subjectDn, serialNumber: issued.certificate.serialNumber,
      fingerprintSha256: issued.fingerprintSha256, notAfter: issued.certificate.notAfter.toISOString(),
    },
  });
  return { ...issued, partner: { id: partner.id, legalName: partner.legal_name, serviceName: partner.service_name } };
}
