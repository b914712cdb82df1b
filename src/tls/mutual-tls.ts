import type { ServerOptions } from 'node:https';
import { loadPartnerCas, splitPemCertificates } from '../certificates/client-trust.ts';

/**
 * TLS options of the mutual-TLS listener (DESIGN §3): every client is asked for a certificate, but the
 * application decides what a missing or untrusted one means (certificate login, RFC 8705 binding).
 * The `ca` list is what OpenSSL verifies client certificates against and what the CertificateRequest
 * names, so a browser offers only matching certificates: the bank CA (issuing CA and its root — OpenSSL
 * needs the self-signed anchor) and the partner CAs of PARTNER_CA_FILE.
 */
export async function mutualTlsOptions(
  base: { key: string; cert: string; minVersion: 'TLSv1.2' | 'TLSv1.3' },
  trust: { bankCaPem: string; partnerCaFile?: string | undefined },
): Promise<ServerOptions> {
  const ca = [...splitPemCertificates(trust.bankCaPem), ...(trust.partnerCaFile ? await loadPartnerCas(trust.partnerCaFile) : [])];
  return { ...base, requestCert: true, rejectUnauthorized: false, ca };
}

