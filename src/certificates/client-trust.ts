import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** RFC 5280 id-kp-clientAuth. */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The certificates of a PEM bundle, each as its own PEM block (newline-terminated, as OpenSSL wants). */
export function splitPemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

/**
 * PARTNER_CA_FILE (DESIGN §14): the partners' CAs, trusted beside the bank CA for client certificates
 * of `tls_client_auth` partners. Refused unless it holds certificates and each is a CA: a leaf in this
 * list would make OpenSSL accept that one certificate as its own anchor.
 */
export async function loadPartnerCas(file: string): Promise<string[]> {
  const pems = splitPemCertificates(await readFile(file, 'utf8'));
  if (pems.length === 0) throw new Error(`PARTNER_CA_FILE: no certificate in ${file}`);
  for (const pem of pems) {
    if (!new X509Certificate(pem).ca) throw new Error('PARTNER_CA_FILE: every certificate must be a CA certificate');
  }
  return pems;
}

/**
 * Whether a client certificate is one the mutual-TLS listener would have authorised: issued (and
 * signed) by one of `anchors` (the bank's issuing CA, the partner CAs), within its validity, not a CA,
 * and usable for client authentication. Used where no TLS handshake checked it — a certificate
 * forwarded by a trusted proxy in RFC 9440 `Client-Cert` (the proxy verified the chain; this re-check
 * costs little and keeps one rule for both paths).
 */
export function issuedByTrustedCa(cert: X509Certificate, anchors: readonly X509Certificate[], now = new Date()): boolean {
  if (cert.ca) return false;
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return false;
  // Node lists the extended key usages here; none listed means any usage (RFC 5280 §4.2.1.12).
  if (cert.keyUsage && !cert.keyUsage.includes(CLIENT_AUTH)) return false;
  return anchors.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
}
