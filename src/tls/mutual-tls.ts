import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ServerOptions } from 'node:https';

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
  const ca = [...splitPem(trust.bankCaPem)];
  if (trust.partnerCaFile) {
    const partners = splitPem(await readFile(trust.partnerCaFile, 'utf8'));
    if (partners.length === 0) throw new Error(`PARTNER_CA_FILE: no certificate in ${trust.partnerCaFile}`);
    for (const pem of partners) {
      if (!new X509Certificate(pem).ca) throw new Error('PARTNER_CA_FILE: every certificate must be a CA certificate');
    }
    ca.push(...partners);
  }
  return { ...base, requestCert: true, rejectUnauthorized: false, ca };
}

function splitPem(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}
