import 'reflect-metadata';
import { createCipheriv, createHash, createHmac, hash as digestOnce, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { ContentInfo, EncryptedContent, EncryptedContentInfo } from '@peculiar/asn1-cms';
import * as asnPfx from '@peculiar/asn1-pfx';
import { EncryptedData, EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

const pbkdf2Async = promisify(pbkdf2);

/**
 * modern: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for key and certificates, SHA-256 MAC — what Windows
 * 10 1709+, OpenSSL 3 and NSS read. legacy: pbeWithSHAAnd3-KeyTripleDES-CBC and a SHA-1 MAC, for the
 * older macOS Keychain versions that refuse the modern file.
 */
export type PfxProfile = 'modern' | 'legacy';

const ITERATIONS: Record<PfxProfile, number> = { modern: 10_000, legacy: 2048 };

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  friendlyName: '1.2.840.113549.1.9.20',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/**
 * A PKCS#12 file (RFC 7292) holding a private key and its certificate chain (the leaf first), protected
 * by `password`. Both the key and the leaf carry the same localKeyId, which importers use to pair them.
 */
export async function writePfx(input: { pkcs8: Uint8Array; certificates: Uint8Array[]; password: string; friendlyName: string; profile: PfxProfile }): Promise<Buffer> {
  const { password, profile } = input;
  const iterations = ITERATIONS[profile];
  const leaf = input.certificates[0];
  if (!leaf) throw new Error('writePfx: no certificate');
  const attribute = (attrId: string, value: Buffer) =>
    // PKCS12Attribute's constructor drops its argument (asn1-pfx 2.11.1): assign the fields afterwards.
    Object.assign(new asnPfx.PKCS12Attribute(), { attrId, attrValues: [toArrayBuffer(value)] });
  const attributes = [
    attribute(OID.localKeyId, octetString(createHash('sha1').update(leaf).digest())),
    attribute(OID.friendlyName, tlv(0x1e, Buffer.from(input.friendlyName, 'utf16le').swap16())),
  ];

  const key = await encrypt(Buffer.from(input.pkcs8), password, iterations, profile);
  const keyBags = new asnPfx.SafeContents([new asnPfx.SafeBag({
    bagId: OID.shroudedKeyBag,
    bagAttributes: attributes,
    bagValue: AsnConvert.serialize(new EncryptedPrivateKeyInfo({
      encryptionAlgorithm: AsnConvert.parse(toArrayBuffer(key.algorithm), AlgorithmIdentifier),
      encryptedData: new EncryptedData(toArrayBuffer(key.ciphertext)),
    })),
  })]);
  const certBags = new asnPfx.SafeContents(input.certificates.map((der, i) => new asnPfx.SafeBag({
    bagId: OID.certBag,
    ...(i === 0 ? { bagAttributes: attributes } : {}),
    bagValue: AsnConvert.serialize(new asnPfx.CertBag({ certId: OID.x509Certificate, certValue: toArrayBuffer(octetString(Buffer.from(der))) })),
  })));
  const certs = await encrypt(Buffer.from(AsnConvert.serialize(certBags)), password, iterations, profile);
  const encryptedCerts = new EncryptedContentInfo({
    contentType: OID.data,
    contentEncryptionAlgorithm: AsnConvert.parse(toArrayBuffer(certs.algorithm), AlgorithmIdentifier),
    encryptedContent: new EncryptedContent({ value: new OctetString(toArrayBuffer(certs.ciphertext)) }),
  });
  const authSafe = Buffer.from(AsnConvert.serialize(new asnPfx.AuthenticatedSafe([
    new ContentInfo({ contentType: OID.data, content: toArrayBuffer(octetString(Buffer.from(AsnConvert.serialize(keyBags)))) }),
    // CMS EncryptedData, version 0
    new ContentInfo({ contentType: OID.encryptedData, content: toArrayBuffer(sequence(integer(0), Buffer.from(AsnConvert.serialize(encryptedCerts)))) }),
  ])));

  const hash = profile === 'modern' ? 'sha256' : 'sha1';
  // An 8-byte MAC salt, OpenSSL's own shape: some macOS versions refuse longer ones.
  const macSalt = randomBytes(8);
  const mac = createHmac(hash, pkcs12Kdf(password, macSalt, iterations, 3, hash === 'sha1' ? 20 : 32, hash)).update(authSafe).digest();
  return Buffer.from(AsnConvert.serialize(new asnPfx.PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: OID.data, content: toArrayBuffer(octetString(authSafe)) }),
    macData: new asnPfx.MacData({
      mac: new DigestInfo({
        digestAlgorithm: new AlgorithmIdentifier({ algorithm: hash === 'sha1' ? OID.sha1 : OID.sha256, parameters: null }),
        digest: new OctetString(toArrayBuffer(mac)),
      }),
      macSalt: new OctetString(toArrayBuffer(macSalt)),
      iterations,
    }),
  })));
}

async function encrypt(plain: Buffer, password: string, iterations: number, profile: PfxProfile): Promise<{ algorithm: Buffer; ciphertext: Buffer }> {
  if (profile === 'modern') {
    // PBES2 takes the password as UTF-8 (RFC 8018), unlike the PKCS#12 KDF below.
    const salt = randomBytes(16);
    const iv = randomBytes(16);
    const key = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    const algorithm = sequence(
      oid(OID.pbes2),
      sequence(
        sequence(oid(OID.pbkdf2), sequence(octetString(salt), integer(iterations), sequence(oid(OID.hmacSha256), NULL))),
        sequence(oid(OID.aes256Cbc), octetString(iv)),
      ),
    );
    return { algorithm, ciphertext: Buffer.concat([cipher.update(plain), cipher.final()]) };
  }
  const salt = randomBytes(8);
  const cipher = createCipheriv('des-ede3-cbc', pkcs12Kdf(password, salt, iterations, 1, 24, 'sha1'), pkcs12Kdf(password, salt, iterations, 2, 8, 'sha1'));
  return { algorithm: sequence(oid(OID.pbeSha3Des), sequence(octetString(salt), integer(iterations))), ciphertext: Buffer.concat([cipher.update(plain), cipher.final()]) };
}

/**
 * RFC 7292 appendix B.2: derives key material from a password (BMPString with its two-byte terminator).
 * `id` 1 gives an encryption key, 2 an IV, 3 a MAC key.
 */
function pkcs12Kdf(password: string, salt: Buffer, iterations: number, id: 1 | 2 | 3, length: number, hash: 'sha1' | 'sha256'): Buffer {
  const u = hash === 'sha1' ? 20 : 32;
  const v = 64;
  const pw = Buffer.from(`${password}\0`, 'utf16le').swap16();
  const stretch = (b: Buffer) => {
    const out = Buffer.alloc(v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length]!;
    return out;
  };
  const I = Buffer.concat([stretch(salt), stretch(pw)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash(hash).update(D).update(I).digest();
    // One-shot hashing: the iterations dominate the cost of a download, and crypto.hash skips the Hash object.
    for (let i = 1; i < iterations; i++) A = digestOnce(hash, A, 'buffer');
    out.push(A);
    const B = stretch(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        carry += I[j + k]! + B[k]!;
        I[j + k] = carry & 0xff;
        carry >>= 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, length);
}

// Minimal DER for the structures the @peculiar schemas do not model (PBES2 parameters, CMS EncryptedData).
const NULL = Buffer.from([0x05, 0x00]);

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

function sequence(...parts: Buffer[]): Buffer {
  return tlv(0x30, ...parts);
}

function octetString(b: Buffer): Buffer {
  return tlv(0x04, b);
}

function integer(n: number): Buffer {
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const n of rest) {
    const group: number[] = [];
    let x = n;
    do {
      group.unshift(x & 0x7f);
      x = Math.floor(x / 128);
    } while (x > 0);
    bytes.push(...group.map((g, i) => (i < group.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(bytes));
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}
