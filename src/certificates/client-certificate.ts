import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { randomSerialHex, type BankCa } from './bank-ca.ts';
import { writePfx, type PfxProfile } from './pfx.ts';

export interface SignedClientCertificate {
  certificate: x509.X509Certificate;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  privateKey: webcrypto.CryptoKey;
}

/**
 * The one client-certificate profile of the bank's issuing CA (DESIGN §14), for users and sandbox
 * partners alike: a new ECDSA P-256 key, a random serial, EKU clientAuth only, key and authority key
 * identifiers, and the CRL location when there is one. Times are whole seconds (DER has no fraction)
 * and start five minutes back, so a client whose clock runs a little behind accepts it at once.
 */
export async function signClientCertificate(
  ca: BankCa,
  input: { subject: x509.JsonName; validityDays: number; now: number; crlUrl?: string },
): Promise<SignedClientCertificate> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const notBefore = new Date(Math.floor((input.now - 5 * 60_000) / 1000) * 1000);
  const notAfter = new Date(Math.floor((input.now + input.validityDays * 86_400_000) / 1000) * 1000);
  const serialNumber = randomSerialHex();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: input.subject,
    issuer: ca.issuing.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.issuing.publicKey),
      ...(input.crlUrl ? [new x509.CRLDistributionPointsExtension([input.crlUrl])] : []),
    ],
  });
  return { certificate, serialNumber, notBefore, notAfter, privateKey: keys.privateKey };
}

/** The PKCS#12 file of a signed certificate: its private key, the certificate and the CA chain. */
export async function clientCertificatePfx(
  ca: BankCa,
  signed: SignedClientCertificate,
  opts: { password: string; friendlyName: string; profile: PfxProfile },
): Promise<Buffer> {
  return writePfx({
    pkcs8: new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', signed.privateKey)),
    certificates: [signed.certificate, ...ca.chain].map((c) => new Uint8Array(c.rawData)),
    password: opts.password,
    friendlyName: opts.friendlyName,
    profile: opts.profile,
  });
}
