import 'reflect-metadata';
import { createHash, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as x509 from '@peculiar/x509';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { openPrivateJwk, sealPrivateJwk } from '../shared/key-encryption.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** The bank's certificate authority as the process uses it: the issuing CA signs user certificates and CRLs. */
export interface BankCa {
  issuing: x509.X509Certificate;
  /** The issuing CA first, then each issuer up to and including the self-signed root. */
  chain: x509.X509Certificate[];
  /** Non-extractable; never leaves the process. */
  signingKey: webcrypto.CryptoKey;
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
  /** Hex SHA-256 of the issuing CA certificate: what its CRL is kept under. */
  issuerSha256: string;
  source: 'generated' | 'stored' | 'configured';
}

const ROOT_NAME = 'C=JP, O=Renkei Bank, CN=Renkei Bank Root CA';
const ISSUING_NAME = 'C=JP, O=Renkei Bank, CN=Renkei Bank Client Issuing CA 1';
const DAY = 86_400_000;

/**
 * The bank CA (DESIGN §14): from CA_CERT_FILE / CA_KEY_FILE when configured; otherwise the one kept
 * in `bank_ca`, created on first use — a root (ECDSA P-384) and an issuing CA (ECDSA P-256), their keys
 * sealed with KEY_ENCRYPTION_KEY. Instances starting together each try to insert a new CA; the first
 * insert wins and every instance loads the row that won.
 */
export async function loadBankCa(
  db: Kysely<Database>,
  opts: { keyEncryptionKey: Buffer; files?: { certFile: string; keyFile: string } | undefined },
): Promise<BankCa> {
  if (opts.files) return loadConfiguredCa(opts.files);
  let row = await db.selectFrom('bank_ca').selectAll().executeTakeFirst();
  let source: BankCa['source'] = 'stored';
  if (!row) {
    const created = await generateCa(opts.keyEncryptionKey);
    const inserted = await db.insertInto('bank_ca').values(created).onConflict((oc) => oc.column('name').doNothing()).returning('name').executeTakeFirst();
    if (inserted) source = 'generated';
    row = await db.selectFrom('bank_ca').selectAll().executeTakeFirstOrThrow();
  }
  const issuing = new x509.X509Certificate(row.issuing_certificate_pem);
  const root = new x509.X509Certificate(row.root_certificate_pem);
  const jwk = await openPrivateJwk(row.issuing_private_jwk_jwe, opts.keyEncryptionKey);
  const signingKey = await webcrypto.subtle.importKey('jwk', jwk as webcrypto.JsonWebKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  return { issuing, chain: [issuing, root], signingKey, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, issuerSha256: sha256Hex(issuing.rawData), source };
}

/** The CA certificates as one PEM bundle (issuing CA first), for `/pki/ca.crt` and TLS trust lists. */
export function caCertificatesPem(ca: BankCa): string {
  return ca.chain.map((c) => `${c.toString('pem')}\n`).join('');
}

async function generateCa(kek: Buffer) {
  const now = Date.now();
  const rootKeys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: ROOT_NAME,
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + 20 * 365 * DAY),
    keys: rootKeys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const issuingKeys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const issuing = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: ISSUING_NAME,
    issuer: root.subjectName,
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + 10 * 365 * DAY),
    publicKey: issuingKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      // Constrains everything below it to client authentication.
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(issuingKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const seal = async (k: webcrypto.CryptoKey) => sealPrivateJwk((await webcrypto.subtle.exportKey('jwk', k)) as JWK, kek);
  return {
    root_certificate_pem: root.toString('pem'),
    root_private_jwk_jwe: await seal(rootKeys.privateKey),
    issuing_certificate_pem: issuing.toString('pem'),
    issuing_private_jwk_jwe: await seal(issuingKeys.privateKey),
  };
}

/** CA_CERT_FILE: the issuing CA's certificate, then its chain up to a self-signed root; CA_KEY_FILE: its PKCS#8 key. */
async function loadConfiguredCa(files: { certFile: string; keyFile: string }): Promise<BankCa> {
  const [certText, keyText] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  const chain = x509.PemConverter.decode(certText).map((der) => new x509.X509Certificate(der));
  const issuing = chain[0];
  const anchor = chain.at(-1);
  if (!issuing || !anchor) throw new Error(`CA_CERT_FILE: no certificate in ${files.certFile}`);
  if (!(await anchor.isSelfSigned())) {
    throw new Error('CA_CERT_FILE: the chain must end with the self-signed root (TLS clients are verified up to it)');
  }
  if (!issuing.getExtension(x509.BasicConstraintsExtension)?.ca) throw new Error('CA_CERT_FILE: the first certificate is not a CA certificate');
  const key = createPrivateKey(keyText);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!spki.equals(Buffer.from(issuing.publicKey.rawData))) throw new Error('CA_KEY_FILE: the key does not belong to the first certificate of CA_CERT_FILE');
  const jwk = key.export({ format: 'jwk' });
  let importAlg: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  let signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
  if (key.asymmetricKeyType === 'ec' && (jwk.crv === 'P-256' || jwk.crv === 'P-384')) {
    importAlg = { name: 'ECDSA', namedCurve: jwk.crv };
    signingAlgorithm = { name: 'ECDSA', hash: jwk.crv === 'P-256' ? 'SHA-256' : 'SHA-384' };
  } else if (key.asymmetricKeyType === 'rsa') {
    importAlg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5' };
  } else {
    throw new Error('CA_KEY_FILE: an ECDSA P-256/P-384 or RSA key is required');
  }
  const signingKey = await webcrypto.subtle.importKey('jwk', jwk, importAlg, false, ['sign']);
  return { issuing, chain, signingKey, signingAlgorithm, issuerSha256: sha256Hex(issuing.rawData), source: 'configured' };
}

/** 128 random bits, positive and of fixed length (RFC 5280 §4.1.2.2 allows up to 20 octets). */
export function randomSerialHex(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x01;
  return Buffer.from(b).toString('hex');
}

export function sha256Hex(der: ArrayBuffer | Uint8Array): string {
  return createHash('sha256').update(der instanceof Uint8Array ? der : new Uint8Array(der)).digest('hex');
}
